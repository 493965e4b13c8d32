interface QrCodeModule {
  toString(value: string, options: { type: "terminal"; small: boolean }): Promise<string>;
  toDataURL(value: string, options?: { margin?: number; width?: number }): Promise<string>;
}

let loaded: Promise<QrCodeModule | null> | undefined;

/**
 * `qrcode` arrives with Wechaty (through file-box), not as a direct dependency: load it when
 * present and fall back to a plain link when it is not.
 */
function qrcodeModule(): Promise<QrCodeModule | null> {
  loaded ??= (async () => {
    try {
      const name = "qrcode";
      const mod = (await import(name)) as { default?: QrCodeModule } & QrCodeModule;
      return mod.default ?? mod;
    } catch {
      return null;
    }
  })();
  return loaded;
}

/** The login QR drawn with block characters for a terminal, or null when it cannot be drawn. */
export async function qrForTerminal(value: string): Promise<string | null> {
  try {
    return (await (await qrcodeModule())?.toString(value, { type: "terminal", small: true })) ?? null;
  } catch {
    return null;
  }
}

/** The login QR as a PNG data URL, rendered locally (the QR never goes to a third party). */
export async function qrAsDataUrl(value: string): Promise<string | null> {
  try {
    return (await (await qrcodeModule())?.toDataURL(value, { margin: 2, width: 280 })) ?? null;
  } catch {
    return null;
  }
}
