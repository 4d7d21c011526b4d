// Espressif's own client as the judge of vesper-devsim: esptool-js (pinned in package.json), in ROM
// mode (no stub upload), talks to a simulated board through a Web Serial look-alike built on a TCP
// socket. It detects the chip, attaches the flash, reads the MAC, writes random data compressed in
// 1 KiB blocks with esptool-js's own MD5 verification, then reads it back with READ_FLASH_SLOW and
// checks the MD5 again. Exit 0 only if everything matched.
//
//   node check.mjs --port 4000 --chip esp32 --mac 24:0a:c4:00:00:01 [--host 127.0.0.1]
//                  [--rfc2217] [--size 307200] [--offset 0x10000] [--timeout 110]
//
// --rfc2217 speaks telnet + RFC 2217 instead of raw bytes, so esptool-js's DTR/RTS reset really
// drives the simulated board (start devsim with --listen rfc2217:PORT).
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import process from "node:process";

import { ESPLoader, Transport } from "esptool-js";

const EXPECTED_NAMES = {
  esp8266: "ESP8266",
  esp32: "ESP32",
  esp32s2: "ESP32-S2",
  esp32s3: "ESP32-S3",
  esp32c2: "ESP32-C2",
  esp32c3: "ESP32-C3",
  esp32c6: "ESP32-C6",
  esp32h2: "ESP32-H2",
};
const READ_FLASH_SLOW = 0x0e;
const args = parseArgs(process.argv.slice(2));

function parseArgs(argv) {
  const out = { host: "127.0.0.1", size: 300 * 1024, offset: 0x10000, timeout: 110, rfc2217: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${key} needs a value`);
      return argv[++i];
    };
    if (key === "--host") out.host = value();
    else if (key === "--port") out.port = Number(value());
    else if (key === "--chip") out.chip = value();
    else if (key === "--mac") out.mac = value().toLowerCase();
    else if (key === "--size") out.size = Number(value());
    else if (key === "--offset") out.offset = Number(value());
    else if (key === "--timeout") out.timeout = Number(value());
    else if (key === "--rfc2217") out.rfc2217 = true;
    else fail(`unknown argument ${key}`);
  }
  if (!out.port || !out.chip || !out.mac) fail("usage: node check.mjs --port N --chip NAME --mac AA:BB:CC:DD:EE:FF");
  if (!EXPECTED_NAMES[out.chip]) fail(`unknown chip ${out.chip}`);
  return out;
}

function fail(message) {
  console.error(`esptool-js-check: FAIL: ${message}`);
  process.exit(1);
}

// Minimal telnet/RFC 2217 client side: enough for esptool-js's setSignals and baud rate.
const IAC = 255, SB = 250, SE = 240, WILL = 251, WONT = 252, DO = 253, DONT = 254;
const COM_PORT = 44, SET_BAUDRATE = 1, SET_CONTROL = 5;

function telnetEscape(bytes) {
  const out = [];
  for (const b of bytes) {
    out.push(b);
    if (b === IAC) out.push(IAC);
  }
  return Uint8Array.from(out);
}

// Strips telnet commands from the server's stream; answers option requests.
class TelnetReader {
  constructor(reply) {
    this.reply = reply;
    this.state = "data";
    this.verb = 0;
  }
  feed(chunk) {
    const data = [];
    for (const b of chunk) {
      switch (this.state) {
        case "data":
          if (b === IAC) this.state = "iac";
          else data.push(b);
          break;
        case "iac":
          if (b === IAC) {
            data.push(IAC);
            this.state = "data";
          } else if (b === SB) this.state = "sb";
          else if (b === WILL || b === WONT || b === DO || b === DONT) {
            this.verb = b;
            this.state = "option";
          } else this.state = "data";
          break;
        case "option": {
          // Accept BINARY/SGA both ways and COM-PORT; refuse the rest.
          const ok = b === 0 || b === 3 || b === COM_PORT;
          if (this.verb === DO && b !== COM_PORT) this.reply([IAC, ok ? WILL : WONT, b]);
          if (this.verb === WILL) this.reply([IAC, ok ? DO : DONT, b]);
          this.state = "data";
          break;
        }
        case "sb":
          if (b === IAC) this.state = "sb_iac";
          break;
        case "sb_iac":
          this.state = b === SE ? "data" : "sb";
          break;
      }
    }
    return Uint8Array.from(data);
  }
}

// The Web Serial SerialPort surface esptool-js's Transport uses: open/close, readable/writable
// streams, setSignals, getInfo (no USB ids: esptool-js then uses the classic DTR/RTS reset).
class TcpSerialPort {
  constructor(host, port, rfc2217) {
    this.host = host;
    this.port = port;
    this.rfc2217 = rfc2217;
    this.readable = null;
    this.writable = null;
    this.socket = null;
  }
  getInfo() {
    return {};
  }
  async open(options) {
    const socket = await new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port }, () => resolve(s));
      s.once("error", reject);
    });
    socket.setNoDelay(true);
    this.socket = socket;
    const telnet = this.rfc2217 ? new TelnetReader((bytes) => socket.write(Uint8Array.from(bytes))) : null;
    this.readable = new ReadableStream({
      start(controller) {
        socket.on("data", (chunk) => {
          const data = telnet ? telnet.feed(chunk) : new Uint8Array(chunk);
          if (data.length) controller.enqueue(data);
        });
        socket.on("close", () => {
          try {
            controller.close();
          } catch {
            // already closed by cancel()
          }
        });
        socket.on("error", () => {});
      },
      cancel() {},
    });
    this.writable = new WritableStream({
      write: (chunk) =>
        new Promise((resolve, reject) =>
          socket.write(this.rfc2217 ? telnetEscape(chunk) : chunk, (err) => (err ? reject(err) : resolve())),
        ),
    });
    if (this.rfc2217) {
      socket.write(Uint8Array.from([IAC, WILL, 0, IAC, DO, 0, IAC, WILL, 3, IAC, DO, 3, IAC, WILL, COM_PORT]));
      this.comPort(SET_BAUDRATE, [
        (options.baudRate >>> 24) & 0xff,
        (options.baudRate >>> 16) & 0xff,
        (options.baudRate >>> 8) & 0xff,
        options.baudRate & 0xff,
      ]);
    }
  }
  comPort(command, value) {
    this.socket.write(Uint8Array.from([IAC, SB, COM_PORT, command, ...telnetEscape(value), IAC, SE]));
  }
  async setSignals(signals) {
    if (!this.rfc2217) return; // raw TCP has no modem lines
    if (signals.dataTerminalReady !== undefined) this.comPort(SET_CONTROL, [signals.dataTerminalReady ? 8 : 9]);
    if (signals.requestToSend !== undefined) this.comPort(SET_CONTROL, [signals.requestToSend ? 11 : 12]);
  }
  async close() {
    if (this.socket) this.socket.destroy();
    this.socket = null;
    this.readable = null;
    this.writable = null;
  }
}

function md5Hex(bytes) {
  return createHash("md5").update(bytes).digest("hex");
}

// esptool-js turns the ROM's MD5 reply (32 ASCII hex digits) into text with toHex(), i.e. the hex of
// those ASCII codes; what it compares calculateMD5Hash against is therefore that form.
function romStyleMd5(bytes) {
  return Buffer.from(md5Hex(bytes), "ascii").toString("hex");
}

async function main() {
  const log = [];
  const terminal = {
    clean() {},
    writeLine(line) {
      log.push(line);
    },
    write(text) {
      log.push(text);
    },
  };
  const port = new TcpSerialPort(args.host, args.port, args.rfc2217);
  const transport = new Transport(port, false);
  const loader = new ESPLoader({ transport, baudrate: 115200, romBaudrate: 115200, terminal, debugLogging: false });
  const step = (text) => console.log(`esptool-js-check: ${text}`);

  try {
    // detectChip() only connects and identifies; main() would upload the stub.
    await loader.detectChip("default_reset");
    const name = loader.chip?.CHIP_NAME;
    step(`detected ${name}`);
    if (name !== EXPECTED_NAMES[args.chip]) throw new Error(`expected ${EXPECTED_NAMES[args.chip]}, detected ${name}`);
    if (loader.IS_STUB) throw new Error("esptool-js is running a stub; this check is for the ROM loader");

    await loader.flashSpiAttach(0);
    const mac = (await loader.chip.readMac(loader)).toLowerCase();
    step(`MAC ${mac}`);
    if (mac !== args.mac) throw new Error(`MAC ${mac}, expected ${args.mac}`);

    // The ROM takes 1 KiB blocks (esptool-js defaults to the stub's 16 KiB).
    loader.FLASH_WRITE_SIZE = 0x400;
    const data = new Uint8Array(randomBytes(args.size));
    const started = Date.now();
    await loader.writeFlash({
      fileArray: [{ data, address: args.offset }],
      flashSize: "keep",
      flashMode: "keep",
      flashFreq: "keep",
      eraseAll: false,
      compress: true,
      calculateMD5Hash: romStyleMd5,
    });
    step(`wrote ${data.length} bytes compressed at 0x${args.offset.toString(16)} in ${(Date.now() - started) / 1000} s, esptool-js verified the MD5`);

    // The digest once more, decoded: the ROM's 32 hex digits must be the data's MD5.
    const md5Reply = Buffer.from(await loader.flashMd5sum(args.offset, data.length), "hex").toString("ascii");
    if (md5Reply !== md5Hex(data)) throw new Error(`flash MD5 ${md5Reply}, data MD5 ${md5Hex(data)}`);

    // Read back with the ROM's READ_FLASH_SLOW (64 bytes per command).
    const back = new Uint8Array(data.length);
    for (let at = 0; at < data.length; at += 64) {
      const n = Math.min(64, data.length - at);
      const pkt = new Uint8Array(8);
      new DataView(pkt.buffer).setUint32(0, args.offset + at, true);
      new DataView(pkt.buffer).setUint32(4, n, true);
      const block = await loader.checkCommand("read flash slow", READ_FLASH_SLOW, pkt, 0, 64);
      back.set(block.slice(0, n), at);
    }
    const firstDiff = back.findIndex((b, i) => b !== data[i]);
    if (firstDiff >= 0) throw new Error(`read-back differs at offset ${firstDiff}`);
    step(`read back ${data.length} bytes with READ_FLASH_SLOW: identical`);
    step("PASS");
    await transport.disconnect().catch(() => {});
    process.exit(0);
  } catch (e) {
    console.error(`esptool-js-check: FAIL: ${e?.message ?? e}`);
    console.error("esptool-js said:\n  " + log.join("\n  "));
    process.exit(1);
  }
}

setTimeout(() => fail(`no result after ${args.timeout} s`), args.timeout * 1000).unref();
main();
