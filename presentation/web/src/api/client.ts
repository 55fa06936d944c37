import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** Every change by cookie carries it; the server refuses cookie-authenticated changes without it. */
export const CSRF_HEADER = { "X-Aegis-Request": "1" } as const;

/** A problem+json answer, thrown so that queries and mutations show its title and fields. */
export class ApiProblem extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiProblem";
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
  /** The message for one field, when the server named it. */
  field(name: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === name)?.message;
  }
}

/** The server's message for one field of a failed request, if it named that field. */
export function fieldError(error: unknown, name: string): string | undefined {
  return error instanceof ApiProblem ? error.field(name) : undefined;
}

export function asProblem(value: unknown, status: number): Problem {
  if (value && typeof value === "object" && "title" in value && "code" in value) {
    return value as Problem;
  }
  return {
    type: "about:blank",
    title: status === 0 ? "The server cannot be reached" : `Request failed (${status})`,
    status,
    code: "UNEXPECTED_RESPONSE",
  };
}

type SessionListener = { onSignedOut(): void; onPasswordChangeRequired(): void; onMfaEnrolmentRequired(): void };
let listener: SessionListener = { onSignedOut() {}, onPasswordChangeRequired() {}, onMfaEnrolmentRequired() {} };

/** The app tells the client where to send the user when the session ends or needs a new password. */
export function setSessionListener(next: SessionListener): void {
  listener = next;
}

const AUTH_PATHS = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"];
let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, shared by every request that saw a 401 while it ran. */
function refreshOnce(): Promise<boolean> {
  refreshing ??= fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: CSRF_HEADER,
    credentials: "same-origin",
  })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => {
      // Requests that see a 401 after this one finished get a refresh of their own.
      refreshing = null;
    });
  return refreshing;
}

/**
 * fetch with the session rules: a 401 refreshes the session once and retries, then signs out;
 * PASSWORD_CHANGE_REQUIRED sends the user to the change page, MFA_ENROLMENT_REQUIRED to the
 * enrolment of a second factor.
 */
export async function sessionFetch(input: Request): Promise<Response> {
  const path = new URL(input.url, window.location.origin).pathname;
  const retry = input.clone();
  let response = await fetch(input);
  if (response.status === 401 && !AUTH_PATHS.includes(path)) {
    if (await refreshOnce()) {
      response = await fetch(retry);
    }
    if (response.status === 401) {
      listener.onSignedOut();
    }
  }
  if (response.status === 403) {
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => null);
    const code = asProblem(body, 403).code;
    if (code === "PASSWORD_CHANGE_REQUIRED") {
      listener.onPasswordChangeRequired();
    } else if (code === "MFA_ENROLMENT_REQUIRED") {
      listener.onMfaEnrolmentRequired();
    }
  }
  return response;
}

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  headers: CSRF_HEADER,
  credentials: "same-origin",
  fetch: sessionFetch,
});

/** Unwraps an openapi-fetch answer: the data, or an ApiProblem thrown. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new ApiProblem(asProblem(error, response.status));
  }
  return data as T;
}

/**
 * Uploads with progress (fetch cannot report upload progress): a FormData as multipart, or a
 * file as the raw body (application/octet-stream) for endpoints that read the body themselves.
 * Resolves with the parsed JSON answer or rejects with an ApiProblem.
 */
export function upload<T>(
  url: string,
  body: FormData | Blob,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    for (const [name, value] of Object.entries(CSRF_HEADER)) request.setRequestHeader(name, value);
    if (!(body instanceof FormData)) request.setRequestHeader("Content-Type", "application/octet-stream");
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve(request.response as T);
      } else {
        reject(new ApiProblem(asProblem(request.response, request.status)));
      }
    };
    request.onerror = () => reject(new ApiProblem(asProblem(null, 0)));
    request.send(body);
  });
}
