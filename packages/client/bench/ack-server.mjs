// A minimal MQTT 3.1.1 peer for the client-bound half of the benchmark, run as its
// own process: CONNECT gets CONNACK, QoS 1 PUBLISH gets PUBACK, PINGREQ gets
// PINGRESP, everything else is skipped. It parses only fixed headers and answers
// a whole read in one write, so its cost per message is far below a real broker's
// and the clients' own costs decide the throughput. It prints its port on stdout.
import { createServer } from "node:net";

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let rest = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    const out = [];
    let i = 0;
    for (;;) {
      let j = i + 1;
      let length = 0;
      let multiplier = 1;
      let complete = false;
      while (j < buf.length) {
        const byte = buf[j++];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || j + length > buf.length) break;
      const type = buf[i] >> 4;
      if (type === 1) out.push(Buffer.from([0x20, 2, 0, 0]));
      else if (type === 3 && ((buf[i] >> 1) & 3) === 1) {
        const id = j + 2 + buf.readUInt16BE(j);
        out.push(Buffer.from([0x40, 2, buf[id], buf[id + 1]]));
      } else if (type === 12) out.push(Buffer.from([0xd0, 0]));
      else if (type === 14) socket.end();
      i = j + length;
    }
    rest = buf.subarray(i);
    if (out.length > 0 && socket.writable) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  });
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
