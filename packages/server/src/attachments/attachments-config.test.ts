import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

describe('attachment configuration', () => {
  it('defaults to files in DATA_DIR, scanning off, 100 MiB files, 1 GiB per user', () => {
    const { attachments } = loadConfig({ DATA_DIR: '/var/parley' });
    expect(attachments).toMatchObject({ storage: 'fs', dir: '/var/parley/attachments', s3: null, scan: 'off', clamd: null, maxBytes: 104_857_600, quotaBytes: 1_073_741_824 });
    expect(attachments.types).toContain('image/png');
    expect(attachments.types).not.toContain('text/html');
    expect(attachments.inlineTypes).not.toContain('image/svg+xml');
  });

  it('scans with clamd when one is configured, and S3 when a bucket is', () => {
    const { attachments } = loadConfig({
      CLAMD_HOST: 'clamd.internal',
      S3_BUCKET: 'files',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      ATTACHMENT_TYPES: 'image/png, Application/PDF',
    });
    expect(attachments).toMatchObject({
      scan: 'clamav',
      clamd: { host: 'clamd.internal', port: 3310 },
      storage: 's3',
      s3: { bucket: 'files', endpoint: 'http://minio:9000', forcePathStyle: true, credentials: { accessKeyId: 'id', secretAccessKey: 'secret' } },
      types: ['image/png', 'application/pdf'],
    });
    expect(loadConfig({ CLAMD_SOCKET: '/run/clamav/clamd.ctl', ATTACHMENT_SCAN: 'off' }).attachments).toMatchObject({ scan: 'off', clamd: { socket: '/run/clamav/clamd.ctl' } });
  });

  it('refuses settings that cannot work', () => {
    for (const env of [
      { ATTACHMENT_SCAN: 'clamav' },
      { ATTACHMENT_SCAN: 'maybe', CLAMD_HOST: 'x' },
      { CLAMD_HOST: 'x', CLAMD_SOCKET: '/y' },
      { ATTACHMENT_STORAGE: 's3' },
      { ATTACHMENT_STORAGE: 'ftp' },
      { S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'only-half' },
      { ATTACHMENT_TYPES: 'png' },
      { ATTACHMENT_MAX_BYTES: '0' },
      { RATE_LIMIT_UPLOADS: 'fast' },
    ]) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
    }
  });
});
