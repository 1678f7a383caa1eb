'use client';
// The otpauth:// address as a QR code, drawn in the browser so the secret never leaves the page.
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';

export function TotpQr({ otpauthUrl }: { otpauthUrl: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(otpauthUrl, { margin: 1, width: 192, errorCorrectionLevel: 'M' })
      .then((url) => live && setSrc(url))
      .catch(() => live && setSrc(undefined));
    return () => {
      live = false;
    };
  }, [otpauthUrl]);
  return src ? (
    <img
      src={src}
      width={192}
      height={192}
      alt="QR code for your authenticator app"
      className="rounded-md border border-zinc-200"
    />
  ) : (
    <div className="grid size-48 place-items-center rounded-md border border-dashed border-zinc-300 text-xs text-zinc-500">
      Drawing the QR code…
    </div>
  );
}
