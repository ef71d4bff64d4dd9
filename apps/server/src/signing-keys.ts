import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createDeltaSigner, derivePublicKey, type DeltaSigner } from '@rhizome/core';
import { z } from 'zod';

/**
 * Server-held signing keys (RHIZOME_SIGNING_KEYS_FILE): the secret Ed25519 keys of some creators,
 * sealed with a passphrase (RHIZOME_SIGNING_KEYS_PASSPHRASE) so that the file alone gives nothing
 * away. A token bound to one of these creators has its writes signed by the server, so a curl user
 * gets signed deltas without handling keys.
 *
 * The file is JSON: scrypt derives a 256-bit key from the passphrase and a random salt, and
 * AES-256-GCM seals `{ "keys": { "<creator>": "<secret key hex>" } }` (the tag authenticates it,
 * so a wrong passphrase is told apart from a readable file).
 */
export const SIGNING_KEY_FILE_FORMAT = 'rhizome-signing-keys';

/** Stable codes of the failures to open a key file; each is one startup line. */
export const SigningKeysErrorCode = {
  /** The file cannot be read (missing, no permission). */
  Unreadable: 'SIGNING_KEYS_UNREADABLE',
  /** Not a sealed key file, or its sealed content is not a valid key list. */
  Malformed: 'SIGNING_KEYS_MALFORMED',
  /** The passphrase does not open the file (or the file was altered). */
  PassphraseWrong: 'SIGNING_KEYS_PASSPHRASE_WRONG',
} as const;
export type SigningKeysErrorCode = (typeof SigningKeysErrorCode)[keyof typeof SigningKeysErrorCode];

export class SigningKeysError extends Error {
  readonly code: SigningKeysErrorCode;
  constructor(code: SigningKeysErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningKeysError';
    this.code = code;
  }
}

/** scrypt cost by default: 2^17 (128 MiB, a few hundred ms once at start). */
export const DEFAULT_SCRYPT_COST = 2 ** 17;
/** The largest cost a file may ask for: the memory scrypt takes is 128 × N × r bytes. */
const MAX_SCRYPT_COST = 2 ** 20;
/** Creators one key file holds at most (the file is read whole at start). */
export const MAX_SIGNING_KEYS = 10_000;

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64');
const sealedSchema = z.strictObject({
  format: z.literal(SIGNING_KEY_FILE_FORMAT),
  version: z.literal(1),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 10)
      .max(MAX_SCRYPT_COST)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: base64,
  }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), iv: base64, tag: base64 }),
  ciphertext: base64,
});
const keysSchema = z.strictObject({
  keys: z
    .record(
      z.string().min(1).max(512),
      z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a secret key of 64 hex digits'),
    )
    .refine((keys) => Object.keys(keys).length <= MAX_SIGNING_KEYS, {
      message: `at most ${MAX_SIGNING_KEYS} creators`,
    }),
});

export type SealedKeyFile = z.infer<typeof sealedSchema>;

const deriveKey = (
  passphrase: string,
  salt: Buffer,
  cost: { N: number; r: number; p: number },
): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      32,
      { ...cost, maxmem: 256 * cost.N * cost.r },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });

/** Seals creators' secret keys with a passphrase: the content of a key file. */
export async function sealSigningKeys(
  keys: Readonly<Record<string, string>>,
  passphrase: string,
  options: { readonly cost?: number } = {},
): Promise<SealedKeyFile> {
  const checked = keysSchema.safeParse({ keys });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new SigningKeysError(
      SigningKeysErrorCode.Malformed,
      `the keys to seal are not valid${issue === undefined ? '' : ` at ${issue.path.slice(1).join('.')}: ${issue.message}`}`,
    );
  }
  for (const secret of Object.values(checked.data.keys)) derivePublicKey(secret);
  if (passphrase === '')
    throw new SigningKeysError(SigningKeysErrorCode.PassphraseWrong, 'the passphrase is empty');
  const cost = { N: options.cost ?? DEFAULT_SCRYPT_COST, r: 8, p: 1 };
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, cost);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([
    cipher.update(JSON.stringify(checked.data), 'utf8'),
    cipher.final(),
  ]);
  return {
    format: SIGNING_KEY_FILE_FORMAT,
    version: 1,
    kdf: { name: 'scrypt', ...cost, salt: salt.toString('base64') },
    cipher: {
      name: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    },
    ciphertext: ciphertext.toString('base64'),
  };
}

/** A creator's server-held key: its public half (to publish on `_creator:<id>`) and a signer. */
export interface ServerSigningKey {
  readonly publicKey: string;
  readonly sign: DeltaSigner;
}

/** Opens a sealed key file's content; SigningKeysError (MALFORMED, PASSPHRASE_WRONG) otherwise. */
export async function openSigningKeys(
  sealed: unknown,
  passphrase: string,
): Promise<Map<string, ServerSigningKey>> {
  const parsed = sealedSchema.safeParse(sealed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    throw new SigningKeysError(
      SigningKeysErrorCode.Malformed,
      `not a sealed signing key file${at}: ${issue?.message ?? 'malformed'}`,
    );
  }
  const { kdf, cipher, ciphertext } = parsed.data;
  const key = await deriveKey(passphrase, Buffer.from(kdf.salt, 'base64'), kdf);
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(cipher.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(cipher.tag, 'base64'));
    plain = Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw new SigningKeysError(
      SigningKeysErrorCode.PassphraseWrong,
      'the passphrase does not open the file (or the file was altered)',
      { cause: error },
    );
  }
  let content: unknown;
  try {
    content = JSON.parse(plain);
  } catch {
    content = undefined;
  }
  const keys = keysSchema.safeParse(content);
  if (!keys.success) {
    throw new SigningKeysError(
      SigningKeysErrorCode.Malformed,
      'the sealed content is not a list of creators and secret keys',
    );
  }
  const out = new Map<string, ServerSigningKey>();
  for (const [creator, secret] of Object.entries(keys.data.keys))
    out.set(creator, { publicKey: derivePublicKey(secret), sign: createDeltaSigner(secret) });
  return out;
}

/** Reads and opens a key file; its failures name the file and carry a stable code. */
export async function loadSigningKeys(
  path: string,
  passphrase: string,
): Promise<Map<string, ServerSigningKey>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SigningKeysError(
      SigningKeysErrorCode.Unreadable,
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SigningKeysError(SigningKeysErrorCode.Malformed, `${path} is not JSON`);
  }
  try {
    return await openSigningKeys(json, passphrase);
  } catch (error) {
    if (error instanceof SigningKeysError)
      throw new SigningKeysError(error.code, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
