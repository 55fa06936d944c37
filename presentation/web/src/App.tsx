import { lazy, Suspense, type ReactNode } from "react";
import { Route, Routes, Link } from "react-router";
import { RequireSession } from "./auth/session";
import { Layout } from "./components/Layout";
import { Loading, EmptyState } from "./components/ui";
import { LoginPage } from "./pages/Login";
import { ChangePasswordPage } from "./pages/ChangePassword";
import { MfaSetupPage } from "./pages/Mfa";
// The heatmap is the page people open first and the one that must paint fast: it is in the
// main bundle, so no chunk load or Suspense reveal stands between the data and the matrix.
import { HeatmapPage } from "./pages/Heatmap";

/** Each page is its own chunk, so the first paint loads only what it shows. */
type PageComponent = () => ReactNode;

function page<K extends string>(load: () => Promise<Record<K, PageComponent>>, name: K) {
  const Page = lazy(async (): Promise<{ default: PageComponent }> => ({ default: (await load())[name] }));
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
}

export function NotFoundPage() {
  return (
    <EmptyState title="There is no page here">
      <Link to="/" className="text-blue-800 underline">
        Back to the dashboard
      </Link>
    </EmptyState>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/change-password" element={<ChangePasswordPage />} />
      <Route path="/mfa-setup" element={<MfaSetupPage />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={page(() => import("./pages/Dashboard"), "DashboardPage")} />
        <Route path="heatmap" element={<HeatmapPage />} />
        <Route path="techniques" element={page(() => import("./pages/Techniques"), "TechniquesPage")} />
        <Route path="techniques/:mitreId" element={page(() => import("./pages/TechniqueDetail"), "TechniqueDetailPage")} />
        <Route path="tests" element={page(() => import("./pages/tests/TestsList"), "TestsPage")} />
        <Route path="tests/:id" element={page(() => import("./pages/tests/TestDetail"), "TestDetailPage")} />
        <Route path="templates" element={page(() => import("./pages/Templates"), "TemplatesPage")} />
        <Route path="detection-rules" element={page(() => import("./pages/DetectionRules"), "DetectionRulesPage")} />
        <Route path="detection-rules/:id" element={page(() => import("./pages/DetectionRules"), "DetectionRuleDetailPage")} />
        <Route path="campaigns" element={page(() => import("./pages/campaigns/Campaigns"), "CampaignsPage")} />
        <Route path="campaigns/:id" element={page(() => import("./pages/campaigns/CampaignDetail"), "CampaignDetailPage")} />
        <Route path="attack-paths" element={page(() => import("./pages/attack-paths/AttackPaths"), "AttackPathsPage")} />
        <Route path="attack-paths/:id" element={page(() => import("./pages/attack-paths/AttackPaths"), "AttackPathDetailPage")} />
        <Route path="detection-assets" element={page(() => import("./pages/DetectionLifecycle"), "DetectionAssetsPage")} />
        <Route path="detection-assets/:id" element={page(() => import("./pages/DetectionLifecycle"), "DetectionAssetDetailPage")} />
        <Route path="detection-lifecycle" element={page(() => import("./pages/DetectionLifecycle"), "LifecycleDashboardPage")} />
        <Route path="infrastructure-changes" element={page(() => import("./pages/DetectionLifecycle"), "InfrastructureChangesPage")} />
        <Route path="alerts" element={page(() => import("./pages/Alerts"), "AlertsPage")} />
        <Route path="scans" element={page(() => import("./pages/scans/Scans"), "ScansPage")} />
        <Route path="scans/policy" element={page(() => import("./pages/scans/ScanPolicy"), "ScanPolicyPage")} />
        <Route path="scans/:id" element={page(() => import("./pages/scans/ScanDetail"), "ScanDetailPage")} />
        <Route path="findings" element={page(() => import("./pages/Findings"), "FindingsPage")} />
        <Route path="findings/:id" element={page(() => import("./pages/Findings"), "FindingDetailPage")} />
        <Route path="threat-actors" element={page(() => import("./pages/ThreatActors"), "ThreatActorsPage")} />
        <Route path="threat-actors/:id" element={page(() => import("./pages/ThreatActors"), "ThreatActorDetailPage")} />
        <Route path="risk" element={page(() => import("./pages/Risk"), "RiskPage")} />
        <Route path="intelligence" element={page(() => import("./pages/Intelligence"), "IntelligencePage")} />
        <Route path="compliance" element={page(() => import("./pages/Compliance"), "CompliancePage")} />
        <Route path="compliance/:id" element={page(() => import("./pages/Compliance"), "FrameworkPage")} />
        <Route path="reports" element={page(() => import("./pages/Reports"), "ReportsPage")} />
        <Route path="notifications" element={page(() => import("./pages/Notifications"), "NotificationsPage")} />
        <Route path="knowledge" element={page(() => import("./pages/Knowledge"), "KnowledgePage")} />
        <Route path="profile" element={page(() => import("./pages/Profile"), "ProfilePage")} />
        <Route path="admin/users" element={page(() => import("./pages/admin/Users"), "UsersPage")} />
        <Route path="admin/data-sources" element={page(() => import("./pages/admin/DataSources"), "DataSourcesPage")} />
        <Route path="admin/jobs" element={page(() => import("./pages/admin/Jobs"), "JobsPage")} />
        <Route path="admin/audit" element={page(() => import("./pages/admin/Audit"), "AuditPage")} />
        <Route path="admin/webhooks" element={page(() => import("./pages/admin/Webhooks"), "WebhooksPage")} />
        <Route path="admin/jira" element={page(() => import("./pages/admin/Jira"), "JiraSettingsPage")} />
        <Route path="admin/github" element={page(() => import("./pages/admin/GitHub"), "GithubSettingsPage")} />
        <Route path="admin/tenants" element={page(() => import("./pages/admin/Tenants"), "TenantsPage")} />
        <Route path="admin/sso" element={page(() => import("./pages/admin/Sso"), "SsoSettingsPage")} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
