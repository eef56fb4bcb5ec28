"""A plaintext SMTP server that answers from a script, for replies real servers give
but aiosmtpd does not (Exchange's 535 5.7.139, 530 5.7.57, ...). Every AUTH mechanism
is walked through to its end and answered with --auth-reply; MAIL, RCPT and DATA with
theirs. --silent accepts connections and never says anything.
Prints "READY <port>" once listening; stops on SIGTERM."""
import argparse, asyncio, signal, socket

parser = argparse.ArgumentParser()
parser.add_argument("--silent", action="store_true", help="accept and never answer")
parser.add_argument("--greeting", default="220 scripted.example ESMTP")
parser.add_argument("--capabilities", default="AUTH PLAIN LOGIN XOAUTH2|SIZE 35882577|PIPELINING|SMTPUTF8",
                    help="EHLO keywords, separated by |")
parser.add_argument("--auth-reply", default="235 2.7.0 Authentication successful")
parser.add_argument("--mail-reply", default="250 2.1.0 Sender OK")
parser.add_argument("--rcpt-reply", default="250 2.1.5 Recipient OK")
parser.add_argument("--data-reply", default="250 2.0.0 OK queued")
args = parser.parse_args()


async def session(reader, writer):
    async def reply(text):
        writer.write((text + "\r\n").encode())
        await writer.drain()

    async def line():
        data = await reader.readline()
        if not data:
            raise ConnectionError("closed")
        return data.decode(errors="replace").rstrip("\r\n")

    try:
        if args.silent:
            await reader.read()  # until the client gives up
            return
        await reply(args.greeting)
        while True:
            command = await line()
            verb = command.split(" ")[0].upper()
            if verb == "EHLO":
                keywords = [k for k in args.capabilities.split("|") if k]
                lines = ["scripted.example Hello"] + keywords
                for index, text in enumerate(lines):
                    await reply(("250 " if index == len(lines) - 1 else "250-") + text)
            elif verb == "HELO":
                await reply("250 scripted.example")
            elif verb == "AUTH":
                parts = command.split(" ")
                mechanism = parts[1].upper() if len(parts) > 1 else ""
                if mechanism == "LOGIN":
                    if len(parts) < 3:
                        await reply("334 VXNlcm5hbWU6")
                        await line()
                    await reply("334 UGFzc3dvcmQ6")
                    await line()
                elif len(parts) < 3:
                    await reply("334 ")
                    await line()
                await reply(args.auth_reply)
            elif verb == "MAIL":
                await reply(args.mail_reply)
            elif verb == "RCPT":
                await reply(args.rcpt_reply)
            elif verb == "DATA":
                await reply("354 Start mail input; end with <CRLF>.<CRLF>")
                while await line() != ".":
                    pass
                await reply(args.data_reply)
            elif verb == "QUIT":
                await reply("221 2.0.0 Bye")
                return
            else:
                await reply("250 OK")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await asyncio.start_server(session, "127.0.0.1", port)
    print("READY %d" % port, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


asyncio.run(main())
