/**
 * A downloaded report's seal, read the way the server's `unseal` reads it (domain/src/report.rs):
 * the last line, within the last 400 bytes, is `<!-- aegis-signature ed25519:SIG sha256:DIGEST -->`
 * (HTML) or `%aegis-signature ed25519:SIG sha256:DIGEST` (PDF), and the body is everything
 * before the newline that opens it.
 */
const SEAL_MARK = new TextEncoder().encode("aegis-signature ed25519:");
const TAIL = 400;

export type Seal = { body: Uint8Array<ArrayBuffer>; signatureHex: string; digestHex: string };

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  for (let i = haystack.length - needle.length; i >= from; i--) {
    let match = true;
    for (let j = 0; j < needle.length && match; j++) match = haystack[i + j] === needle[j];
    if (match) return i;
  }
  return -1;
}

export function unseal(document: Uint8Array<ArrayBuffer>): Seal | null {
  const tailStart = Math.max(0, document.length - TAIL);
  const mark = lastIndexOf(document, SEAL_MARK, tailStart);
  if (mark < 0) return null;
  const lineStart = document.lastIndexOf(0x0a, mark);
  if (lineStart < tailStart) return null;
  const words = new TextDecoder().decode(document.subarray(mark + SEAL_MARK.length)).split(/\s+/).filter(Boolean);
  const [signatureHex, digestWord] = words;
  if (!signatureHex || !digestWord?.startsWith("sha256:")) return null;
  return { body: document.subarray(0, lineStart), signatureHex, digestHex: digestWord.slice("sha256:".length) };
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * Checks the seal's Ed25519 signature of the digest with a public key, in the browser; null
 * when this browser cannot do Ed25519.
 */
export async function verifyEd25519(publicKeyHex: string, signatureHex: string, digestHex: string): Promise<boolean | null> {
  const key = fromHex(publicKeyHex);
  const signature = fromHex(signatureHex);
  const digest = fromHex(digestHex);
  if (!key || !signature || !digest) return false;
  let imported: CryptoKey;
  try {
    imported = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    return e instanceof DOMException && e.name === "NotSupportedError" ? null : false;
  }
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, imported, signature, digest);
  } catch {
    return false;
  }
}
