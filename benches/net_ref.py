"""The Python echo servers of the network benches (benches/net_run.sh starts one process
per run), doing what `net_server echo-*` does: per connection, read up to 64 KiB and write
it all back, until EOF.

    PYENV_VERSION=3.13.0 python benches/net_ref.py MODE PORT

MODE:
  asyncio-streams   CPython's asyncio event loop, start_server + StreamReader/StreamWriter
  uvloop-streams    the same streams code on uvloop's loop
  uvloop-protocol   uvloop with a Protocol whose data_received writes the data back

asyncio and uvloop set TCP_NODELAY on TCP transports themselves.
"""

import asyncio
import sys

HOST = "127.0.0.1"
BUF = 64 * 1024


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(BUF)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def streams(port):
    server = await asyncio.start_server(handle, HOST, port, backlog=1024)
    async with server:
        await server.serve_forever()


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def protocol(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, HOST, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "asyncio-streams":
        asyncio.run(streams(port))
    elif mode == "uvloop-streams":
        import uvloop

        uvloop.run(streams(port))
    elif mode == "uvloop-protocol":
        import uvloop

        uvloop.run(protocol(port))
    else:
        sys.exit(f"unknown MODE {mode}\n{__doc__}")


if __name__ == "__main__":
    main()
