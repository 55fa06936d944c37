import { NavLink, Outlet, Link, useLocation } from "react-router";
import { useSession } from "../auth/session";
import { roleLabel } from "../lib/format";
import { ErrorBoundary } from "./ErrorBoundary";
import { NotificationBell } from "./NotificationBell";
import { GlobalSearch } from "./GlobalSearch";

type Item = { to: string; label: string; adminOnly?: boolean; except?: string };
const groups: { title: string; items: Item[] }[] = [
  {
    title: "Posture",
    items: [
      { to: "/", label: "Dashboard" },
      { to: "/heatmap", label: "ATT&CK heatmap" },
      { to: "/risk", label: "Risk" },
      { to: "/compliance", label: "Compliance" },
      { to: "/reports", label: "Reports" },
    ],
  },
  {
    title: "Work",
    items: [
      { to: "/tests", label: "Tests" },
      { to: "/campaigns", label: "Campaigns" },
      { to: "/attack-paths", label: "Attack paths" },
      { to: "/findings", label: "Findings" },
      { to: "/alerts", label: "Alerts" },
      { to: "/detection-assets", label: "Detection assets" },
      { to: "/detection-lifecycle", label: "Detection lifecycle" },
      { to: "/infrastructure-changes", label: "Infrastructure changes" },
      // A scan's page lights "Scans"; the policy page lights only its own entry.
      { to: "/scans", label: "Scans", except: "/scans/policy" },
      { to: "/scans/policy", label: "Scan policy" },
    ],
  },
  {
    title: "Knowledge",
    items: [
      { to: "/techniques", label: "Techniques" },
      { to: "/knowledge", label: "Playbooks and lessons" },
      { to: "/threat-actors", label: "Threat actors" },
      { to: "/intelligence", label: "Intelligence" },
      { to: "/detection-rules", label: "Detection rules" },
      { to: "/templates", label: "Test templates" },
      { to: "/admin/data-sources", label: "Data sources" },
    ],
  },
  {
    title: "Administration",
    items: [
      { to: "/admin/users", label: "Users", adminOnly: true },
      { to: "/admin/jobs", label: "Jobs", adminOnly: true },
      { to: "/admin/audit", label: "Audit log", adminOnly: true },
      { to: "/admin/webhooks", label: "Webhooks", adminOnly: true },
      { to: "/admin/jira", label: "Jira", adminOnly: true },
      { to: "/admin/github", label: "GitHub", adminOnly: true },
      // Platform operators are admins of their tenant; the page tells other admins it is not theirs.
      { to: "/admin/tenants", label: "Tenants", adminOnly: true },
      { to: "/admin/sso", label: "Single sign-on", adminOnly: true },
    ],
  },
];

export function Layout() {
  const { me, signOut } = useSession();
  const isAdmin = me.role === "admin";
  const { pathname } = useLocation();
  return (
    <div className="flex min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <aside className="fixed inset-y-0 left-0 z-30 w-56 overflow-y-auto border-r border-slate-200 bg-slate-900 text-slate-100">
        <Link to="/" className="flex items-center gap-2 px-4 py-4 text-lg font-semibold text-white">
          <img src="/favicon.svg" alt="" className="h-6 w-6" /> Aegis
        </Link>
        <nav aria-label="Main" className="px-2 pb-6">
          {groups.map((group) => {
            const items = group.items.filter((item) => !item.adminOnly || isAdmin);
            if (items.length === 0) return null;
            return (
              <div key={group.title} className="mt-3">
                <p className="px-2 text-xs font-semibold uppercase tracking-wide text-slate-400">{group.title}</p>
                <ul className="mt-1 space-y-0.5">
                  {items.map((item) => (
                    <li key={item.to}>
                      <NavLink
                        to={item.to}
                        end={item.to === "/"}
                        {...(item.except && pathname.startsWith(item.except) ? { "aria-current": false as const } : {})}
                        className={({ isActive }) =>
                          `block rounded px-2 py-1.5 text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-400 ${isActive && !(item.except && pathname.startsWith(item.except)) ? "bg-blue-700 text-white" : "text-slate-200 hover:bg-slate-800"}`
                        }
                      >
                        {item.label}
                      </NavLink>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
          <p className="mt-6 px-2 text-xs text-slate-400">
            <a className="underline hover:text-white" href="/api/v1/openapi.json">
              API (OpenAPI)
            </a>
          </p>
        </nav>
      </aside>
      <div className="ml-56 flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-end gap-3 border-b border-slate-200 bg-white px-6 py-2">
          <GlobalSearch />
          <NotificationBell />
          <Link to="/profile" className="rounded px-2 py-1 text-sm hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600">
            <span className="font-medium">{me.display_name || me.email}</span>{" "}
            <span className="text-slate-500">· {roleLabel[me.role] ?? me.role}</span>
          </Link>
          <button type="button" onClick={() => void signOut()} className="rounded px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600">
            Sign out
          </button>
        </header>
        <main id="main" className="mx-auto w-full max-w-screen-2xl flex-1 px-6 py-6">
          <ErrorBoundary key={pathname}>
            <Outlet />
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
