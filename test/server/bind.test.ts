// bindError: each way a bind fails becomes its own error code and one line saying what to do.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { isDnsfwdError } from '../../src/errors.js';
import { bindError } from '../../src/server/bind.js';

const ep = (() => {
  const r = parseEndpoint('127.0.0.1:53');
  if (!r.ok) throw new Error(r.reason);
  return r.value;
})();

const osError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`bind ${code} 127.0.0.1:53`), { code });

// Each errno has its code (Listeners skips ::1 on BIND_UNAVAILABLE only) and its advice.
t.test('each errno maps to its code and message', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['EACCES', 'BIND_DENIED', /: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE/],
    ['EPERM', 'BIND_DENIED', /: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE/],
    ['EADDRINUSE', 'BIND_IN_USE', /: address already in use \(is another DNS server running\?\)$/],
    ['EADDRNOTAVAIL', 'BIND_UNAVAILABLE', /: address not available on this host$/],
    ['EAFNOSUPPORT', 'BIND_UNAVAILABLE', /: address not available on this host$/],
    ['EINVAL', 'BIND_FAILED', /: bind EINVAL 127\.0\.0\.1:53$/],
  ];
  for (const [errno, code, message] of cases) {
    const err = osError(errno);
    const e = bindError(err, ep, 'UDP');
    t.ok(isDnsfwdError(e, code as 'BIND_FAILED'), `${errno} → ${code}`);
    t.match(e.message, /^cannot listen on 127\.0\.0\.1:53 \(UDP\)/, `${errno}: what failed`);
    t.match(e.message, message, `${errno}: what to do`);
    t.equal(e.cause, err, `${errno}: the OS error is the cause`);
  }
});
