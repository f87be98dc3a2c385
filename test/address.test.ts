// Address helpers not covered through the config tests: which hosts are loopback (the self-loop
// check of route/self.ts treats a loopback listener on port 53 as dnsfwd itself).
import t from 'tap';
import { isLoopbackHost } from '../src/address.js';

// ::1 is loopback as much as 127/8 is: listening on [::1]:53 makes 127.0.0.53:53 a loop risk too.
t.test('isLoopbackHost: ::1, 127/8 and their IPv4-mapped spelling', async (t) => {
  for (const host of ['::1', '127.0.0.1', '127.0.0.53', '::ffff:7f00:1']) t.ok(isLoopbackHost(host), host);
  for (const host of ['::', '0.0.0.0', '10.0.0.1', 'fe80::1', '::ffff:a00:1']) t.notOk(isLoopbackHost(host), host);
});
