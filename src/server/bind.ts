// Turns a failed bind into one line an operator can act on (what failed and what to do).
import { formatEndpoint, type Endpoint } from '../address.js';
import { DnsfwdError } from '../errors.js';

export function bindError(err: unknown, endpoint: Endpoint, proto: 'UDP' | 'TCP' | 'metrics HTTP'): DnsfwdError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `cannot listen on ${formatEndpoint(endpoint)} (${proto})`;
  const dns = proto !== 'metrics HTTP';
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new DnsfwdError(
        'BIND_DENIED',
        `${where}: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE ` +
          (dns ? `(or choose another port with --listen ADDR:PORT)` : `(or choose another port in metrics.listen)`),
        { cause: err },
      );
    case 'EADDRINUSE':
      return new DnsfwdError('BIND_IN_USE', `${where}: address already in use ${dns ? '(is another DNS server running?)' : '(is another exporter, such as CoreDNS, using it?)'}`, {
        cause: err,
      });
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new DnsfwdError('BIND_UNAVAILABLE', `${where}: address not available on this host`, { cause: err });
    default:
      return new DnsfwdError('BIND_FAILED', `${where}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
