#!/usr/bin/python3
# Benchmark peer: python-hl7's asyncio MLLP server (Debian python3-hl7), answering each message
# with the library's own ACK (Message.create_ack). Prints "listening on 127.0.0.1:PORT" on stderr.
# Usage: /usr/bin/python3 python_hl7_server.py [PORT]   (default 0: any free port)
import asyncio
import sys

import hl7
import hl7.mllp


async def handle(reader, writer):
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            writer.writemessage(message.create_ack())
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await hl7.mllp.start_hl7_server(handle, "127.0.0.1", port)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
