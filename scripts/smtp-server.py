"""A real SMTP server for the tests: aiosmtpd writing what it receives to a Maildir.

  smtp-server.py --port N --maildir DIR [--tls-cert CERT --tls-key KEY] [--auth USER:PASSWORD]

With a certificate, STARTTLS is offered and required before any mail (and before AUTH);
with --auth, AUTH PLAIN/LOGIN is required and only USER:PASSWORD is accepted. Runs until
killed. scripts/test.sh installs aiosmtpd into the cache and starts two of these.
"""

import argparse
import asyncio
import mailbox
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth")
    args = parser.parse_args()

    mailbox.Maildir(args.maildir, create=True)
    kwargs = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok)

        kwargs["authenticator"] = authenticate
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(args.tls_cert)

    controller = Controller(
        Mailbox(args.maildir), hostname="127.0.0.1", port=args.port, server_kwargs=kwargs
    )
    controller.start()
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
