import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClamdScanner, ScannerUnavailable, parseReply } from './clamd.ts';
import { CLAMD_BIN, EICAR, EICAR_SIGNATURE, startClamd, type TestClamd } from '../../test/support/clamd.ts';
import { generated } from './storage/blob-store-contract.ts';
import { freePort } from '../../test/support/processes.ts';

describe('clamd replies', () => {
  it('reads OK, FOUND and ERROR lines', () => {
    expect(parseReply('stream: OK')).toEqual({ infected: false });
    expect(parseReply('stream: Win.Test.EICAR_HDB-1 FOUND')).toEqual({ infected: true, signature: 'Win.Test.EICAR_HDB-1' });
    expect(() => parseReply('INSTREAM size limit exceeded. ERROR')).toThrow(/size limit/);
  });
});

const suite = () => {
  let clamd: TestClamd;
  beforeAll(async () => {
    clamd = await startClamd();
  });
  afterAll(() => clamd?.close());

  it('finds the EICAR test file with the signature database the test wrote', async () => {
    const scanner = new ClamdScanner({ host: clamd.host, port: clamd.port }, 10_000);
    expect(await scanner.scan(Readable.from([EICAR]))).toEqual({ infected: true, signature: `${EICAR_SIGNATURE}.UNOFFICIAL` });
  });

  it('passes other bytes, streamed in many chunks (20 MiB)', async () => {
    const scanner = new ClamdScanner({ host: clamd.host, port: clamd.port }, 30_000);
    expect(await scanner.scan(generated(20 * 1024 * 1024).stream())).toEqual({ infected: false });
    expect(await scanner.scan(Readable.from([Buffer.from('hello')]))).toEqual({ infected: false });
  });

  it('says the scanner is unavailable when nothing listens', async () => {
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: await freePort() }, 2_000);
    await expect(scanner.scan(Readable.from([EICAR]))).rejects.toBeInstanceOf(ScannerUnavailable);
  });
};

if (CLAMD_BIN) describe('ClamdScanner (real clamd)', suite);
else describe.skip('ClamdScanner (skipped: needs clamd: apt-get install clamav-daemon, or set CLAMD_BIN)', suite);
