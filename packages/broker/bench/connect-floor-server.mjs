// The floor of Node's net module for the connections scenario (bench/connect-floor.sh):
// accept, answer CONNECT with a fixed CONNACK and SUBSCRIBE with a fixed SUBACK,
// close on DISCONNECT. No MQTT logic: what any broker on net.Socket pays at least.
import { createServer } from "node:net";

const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const server = createServer({ noDelay: true }, (socket) => {
  socket.on("data", (chunk) => {
    let i = 0;
    while (i < chunk.length) {
      const type = chunk[i] >> 4;
      let len = 0,
        mul = 1,
        j = i + 1,
        b;
      do {
        b = chunk[j++];
        len += (b & 127) * mul;
        mul *= 128;
      } while (b & 128);
      if (type === 1) socket.write(CONNACK);
      else if (type === 8) socket.write(Buffer.from([0x90, 3, chunk[j], chunk[j + 1], 0]));
      else if (type === 14) socket.end();
      else if (type === 12) socket.write(Buffer.from([0xd0, 0]));
      i = j + len;
    }
  });
  socket.on("error", () => {});
});
server.listen(Number(process.argv[2]), "127.0.0.1");
