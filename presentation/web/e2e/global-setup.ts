import { ACCOUNTS, FIRST_PASSWORD, PASSWORD } from "./accounts";
import { baseURL } from "../playwright.config";

/** Every account but `first@` (kept for the password-change test) gets its working password. */
export default async function globalSetup(): Promise<void> {
  for (const email of Object.values(ACCOUNTS)) {
    const login = await fetch(`${baseURL}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: FIRST_PASSWORD }),
    });
    if (!login.ok) throw new Error(`sign-in of ${email}: ${login.status} ${await login.text()}`);
    const { access_token } = (await login.json()) as { access_token: string };
    const change = await fetch(`${baseURL}/api/v1/auth/change-password`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${access_token}` },
      body: JSON.stringify({ current_password: FIRST_PASSWORD, new_password: PASSWORD }),
    });
    if (!change.ok) throw new Error(`password of ${email}: ${change.status} ${await change.text()}`);
  }
}
