"""A real SMTP server for itosm's email tests (aiosmtpd).

Stores each accepted message as NNNN.eml (raw) with NNNN.json (envelope
sender and recipients) in --dir; answers 451 to the first --refuse messages.
Prints "ready" once listening, and runs until killed.
"""
import argparse
import json
import os
import signal
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen <= self.refuse:
            return "451 4.3.0 Try again later"
        path = os.path.join(self.directory, f"{self.seen:04d}")
        with open(path + ".eml", "wb") as raw:
            raw.write(envelope.original_content or envelope.content)
        with open(path + ".json", "w") as meta:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, meta)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse", type=int, default=0)
    args = parser.parse_args()
    controller = Controller(Handler(args.dir, args.refuse), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), os._exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
