/**
 * Checks a report in a real browser: starts headless Chromium with a fresh profile, speaks the
 * Chrome DevTools Protocol to it over a WebSocket (a minimal RFC 6455 client on node:http — Node 20
 * has no WebSocket without a flag), opens the page, waits until the page's own script says it has
 * drawn every figure (`data-report-state="done"`), collects console errors and exceptions, and
 * takes full-page screenshots. Used by the tests; nothing here is needed to write a report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

type Json = Record<string, unknown>;
interface CdpMessage { id?: number; method?: string; params?: Json; result?: Json; error?: { message: string }; sessionId?: string }

/** A WebSocket connection speaking CDP (text frames of JSON). */
export class CdpConnection {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: Json) => void; reject: (e: Error) => void; method: string }>();
  private listeners: ((m: CdpMessage) => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (why: string) => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(`CDP ${p.method}: ${why}`));
      this.pending.clear();
    };
    socket.on('close', () => fail('connection closed'));
    socket.on('error', (e) => fail(e.message));
  }

  static connect(url: string, timeoutMs = 10000): Promise<CdpConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = request({
        host: u.hostname, port: u.port, path: u.pathname + u.search, timeout: timeoutMs,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        socket.setNoDelay(true);
        const c = new CdpConnection(socket);
        if (head.length) c.onData(head);
        resolve(c);
      });
      req.on('response', (res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
      req.on('timeout', () => { req.destroy(); reject(new Error('WebSocket connect timed out')); });
      req.on('error', reject);
      req.end();
    });
  }

  onMessage(fn: (m: CdpMessage) => void): void {
    this.listeners.push(fn);
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    if (this.closed) return Promise.reject(new Error(`CDP ${method}: connection closed`));
    const id = this.nextId++;
    const msg = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.writeFrame(0x1, Buffer.from(msg, 'utf8'));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { this.writeFrame(0x8, Buffer.alloc(0)); } catch { /* already gone */ }
    this.socket.destroy();
  }

  private writeFrame(opcode: number, payload: Buffer): void {
    const n = payload.length;
    const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    if (n < 126) head[1] = 0x80 | n;
    else if (n < 65536) { head[1] = 0x80 | 126; head.writeUInt16BE(n, 2); }
    else { head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(n), 2); }
    const mask = randomBytes(4);
    const body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = payload[i] ^ mask[i & 3];
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const opcode = this.buf[0] & 0x0f;
      const masked = (this.buf[1] & 0x80) !== 0;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (this.buf.length < 10) return; len = Number(this.buf.readBigUInt64BE(2)); off = 10; }
      const maskKey = masked ? this.buf.subarray(off, off + 4) : null;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      let payload = this.buf.subarray(off, off + len);
      if (maskKey) payload = Buffer.from(payload.map((b, i) => b ^ maskKey[i & 3]));
      this.buf = this.buf.subarray(off + len);
      if (opcode === 0x9) { this.writeFrame(0xa, Buffer.from(payload)); continue; }
      if (opcode === 0x8) { this.close(); return; }
      if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(Buffer.from(payload));
        if (!fin) continue;
        const text = Buffer.concat(this.fragments).toString('utf8');
        this.fragments = [];
        this.dispatch(JSON.parse(text) as CdpMessage);
      }
    }
  }

  private dispatch(m: CdpMessage): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(`CDP ${p.method}: ${m.error.message}`));
        else p.resolve(m.result ?? {});
      }
      return;
    }
    for (const fn of this.listeners) fn(m);
  }
}

export interface PageCheck {
  /** The page's own status (#report-status): figures, rendered, failed, marks per figure, errors. */
  status: ReportPageStatus;
  /** console.error calls, uncaught exceptions and browser log errors, in order. */
  consoleErrors: string[];
}

export interface ReportPageStatus {
  state: string;
  metric: string;
  figures: number;
  rendered: number;
  failed: { id: string; error: string }[];
  marks: Record<string, number>;
  errors: string[];
}

/** A headless Chromium started by this process (kill() ends its whole process group). */
export class Chromium {
  private conn: CdpConnection | null = null;
  private sessionId = '';
  readonly consoleErrors: string[] = [];
  private events: CdpMessage[] = [];
  private waiters: { method: string; resolve: (m: CdpMessage) => void }[] = [];

  private constructor(readonly child: ChildProcess, readonly userDataDir: string, private readonly ownsDir: boolean) {}

  /**
   * Starts Chromium (default /usr/bin/chromium) headless with a fresh profile in `userDataDir`
   * (a new temp folder if not given). Fails when the binary is missing.
   */
  static async launch(opts: { binary?: string; userDataDir?: string; timeoutMs?: number; windowSize?: [number, number] } = {}): Promise<Chromium> {
    const binary = opts.binary ?? CHROMIUM;
    if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium (apt-get install -y chromium)`);
    const ownsDir = !opts.userDataDir;
    const dir = opts.userDataDir ?? mkdtempSync(join(tmpdir(), 'brainmap-chromium-'));
    const [w, h] = opts.windowSize ?? [1400, 1000];
    const child = spawn(binary, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
      `--window-size=${w},${h}`, `--user-data-dir=${dir}`, '--remote-debugging-port=0', 'about:blank',
    ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const browser = new Chromium(child, dir, ownsDir);
    try {
      const portFile = join(dir, 'DevToolsActivePort');
      const deadline = Date.now() + (opts.timeoutMs ?? 30000);
      let lines: string[] = [];
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`chromium exited with status ${child.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
        if (existsSync(portFile)) {
          lines = readFileSync(portFile, 'utf8').trim().split('\n');
          if (lines.length >= 2) break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (lines.length < 2) throw new Error(`chromium did not open its DevTools port within ${opts.timeoutMs ?? 30000} ms: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const conn = await CdpConnection.connect(`ws://127.0.0.1:${lines[0]}${lines[1]}`);
      browser.conn = conn;
      conn.onMessage((m) => browser.onEvent(m));
      const { targetId } = (await conn.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
      const { sessionId } = (await conn.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      browser.sessionId = sessionId;
      await Promise.all(['Page.enable', 'Runtime.enable', 'Log.enable'].map((m) => browser.send(m)));
      return browser;
    } catch (err) {
      browser.kill();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(method: string, params: Json = {}): Promise<Json> {
    if (!this.conn) throw new Error('not connected');
    return this.conn.send(method, params, this.sessionId);
  }

  private onEvent(m: CdpMessage): void {
    if (m.sessionId !== this.sessionId || !m.method) return;
    const p = m.params ?? {};
    if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
      this.consoleErrors.push(`exception: ${d?.exception?.description ?? d?.text ?? 'unknown'}`);
    } else if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
      const args = (p.args as { value?: unknown; description?: string }[] | undefined) ?? [];
      this.consoleErrors.push(`console.${p.type}: ${args.map((a) => (a.value !== undefined ? String(a.value) : a.description ?? '')).join(' ')}`);
    } else if (m.method === 'Log.entryAdded') {
      const e = p.entry as { level?: string; text?: string; url?: string } | undefined;
      if (e?.level === 'error') this.consoleErrors.push(`log: ${e.text ?? ''}${e.url ? ` (${e.url})` : ''}`);
    }
    this.events.push(m);
    this.waiters = this.waiters.filter((w) => (w.method === m.method ? (w.resolve(m), false) : true));
  }

  private waitFor(method: string, timeoutMs: number): Promise<CdpMessage> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${method}`)), timeoutMs);
      this.waiters.push({ method, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  /** Evaluates an expression in the page; returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as { result?: { value?: T }; exceptionDetails?: { text?: string } };
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.text ?? 'exception'}`);
    return r.result?.value as T;
  }

  /** Opens a local file and waits for the load event. */
  async open(path: string, timeoutMs = 30000): Promise<void> {
    const loaded = this.waitFor('Page.loadEventFired', timeoutMs);
    const r = await this.send('Page.navigate', { url: pathToFileURL(path).href });
    if (typeof r.errorText === 'string' && r.errorText) throw new Error(`navigate ${path}: ${r.errorText}`);
    await loaded;
  }

  /** Waits until the report page says it is done drawing; returns its status. */
  async waitForReport(timeoutMs = 60000): Promise<PageCheck> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.evaluate<string | null>("document.documentElement.getAttribute('data-report-state')");
      if (state === 'done') break;
      if (Date.now() > deadline) throw new Error(`the report did not finish drawing within ${timeoutMs} ms (state ${state})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = JSON.parse(await this.evaluate<string>("document.getElementById('report-status').textContent")) as ReportPageStatus;
    return { status, consoleErrors: [...this.consoleErrors] };
  }

  /** A PNG of the whole page (or of `maxHeight` CSS pixels from `y`), `width` CSS pixels wide. */
  async screenshot(opts: { width?: number; y?: number; maxHeight?: number } = {}): Promise<Buffer> {
    const width = opts.width ?? 1400;
    await this.send('Emulation.setDeviceMetricsOverride', { width, height: 1000, deviceScaleFactor: 1, mobile: false });
    const m = (await this.send('Page.getLayoutMetrics')) as { cssContentSize?: { height: number }; contentSize: { height: number } };
    const total = Math.ceil((m.cssContentSize ?? m.contentSize).height);
    const y = Math.max(0, Math.min(opts.y ?? 0, total - 1));
    const height = Math.max(1, Math.min(total - y, opts.maxHeight ?? 16000));
    await this.send('Emulation.setDeviceMetricsOverride', { width, height: Math.min(total, 16000), deviceScaleFactor: 1, mobile: false });
    const r = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { x: 0, y, width, height, scale: 1 } })) as { data: string };
    return Buffer.from(r.data, 'base64');
  }

  /** Ends Chromium (its whole process group) and removes the profile it was given by launch(). */
  kill(): void {
    this.conn?.close();
    this.conn = null;
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try { process.kill(-pid, 'SIGKILL'); } catch { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }
    }
    if (this.ownsDir) {
      try { rmSync(this.userDataDir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* still held */ }
    }
  }
}

/**
 * Page script (an expression) that measures every drawn figure of a report for the checks of
 * overlap.ts: per `figure.fig`, the SVG's box, every visible SVG <text> with its vega role and
 * getBoundingClientRect() (rotation included), every rule the figure draws as a mark (mean and
 * reference lines, error bars), and each axis with its title. Evaluates to `FigureLayout[]`.
 */
export const FIGURE_LAYOUT_SCRIPT = String.raw`(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height }; };
  const roleOf = (el, stop) => {
    for (let g = el.parentElement; g && g !== stop; g = g.parentElement) {
      const m = /(?:^|\s)role-([\w-]+)/.exec(g.getAttribute('class') || '');
      if (m) return m[1];
    }
    return '';
  };
  const visible = (el) => {
    for (let e = el; e && e.tagName !== 'svg'; e = e.parentElement) {
      if (e.getAttribute('opacity') === '0' || e.getAttribute('visibility') === 'hidden' || e.getAttribute('display') === 'none') return false;
    }
    return true;
  };
  return Array.from(document.querySelectorAll('figure.fig')).map((f) => {
    const id = f.id.replace(/^fig-/, '');
    const svg = f.querySelector('.chart svg');
    if (!svg) return { id, svg: { x: 0, y: 0, width: 0, height: 0 }, texts: [], rules: [], axes: [] };
    const texts = Array.from(svg.querySelectorAll('text'))
      .filter((t) => (t.textContent || '').trim() !== '' && visible(t))
      .map((t) => Object.assign({ text: t.textContent, role: roleOf(t, svg) }, box(t)))
      .filter((t) => t.width > 0 && t.height > 0);
    // A rule's box is its stroke: getBoundingClientRect() of a <line> has no thickness.
    const rules = Array.from(svg.querySelectorAll('g.mark-rule.role-mark line, g.mark-rule.role-mark path')).filter(visible).map((l) => {
      const b = box(l);
      const w = parseFloat(l.getAttribute('stroke-width') || '1') || 1;
      if (b.height < w) { b.y -= (w - b.height) / 2; b.height = w; }
      if (b.width < w) { b.x -= (w - b.width) / 2; b.width = w; }
      return b;
    });
    // Axes that draw something readable (vega-lite's grid-only axes are aria-hidden).
    const axes = Array.from(svg.querySelectorAll('g.role-axis')).filter((a) => a.getAttribute('aria-hidden') !== 'true').map((a) => {
      const label = a.getAttribute('aria-label') || '';
      const title = a.querySelector('g.role-axis-title text');
      return { orient: /^Y-axis/.test(label) ? 'left' : /^X-axis/.test(label) ? 'bottom' : label || 'axis', title: title ? (title.textContent || '') : '' };
    });
    return { id, svg: box(svg), texts, rules, axes };
  });
})()`;
