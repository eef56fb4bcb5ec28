"""Reads an RFC 5322 message with Python's email package and prints what a mail
client would see, as JSON: subject, addresses, bodies and attachments."""
import base64, email, email.policy, json, sys

with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=email.policy.default)

def addresses(name):
    header = message.get(name)
    if header is None:
        return []
    return [{"address": a.addr_spec, "display_name": a.display_name} for a in header.addresses]

text = message.get_body(preferencelist=("plain",))
html = message.get_body(preferencelist=("html",))
attachments = []
for part in message.walk():
    if part.is_multipart() or part in (text, html):
        continue
    attachments.append({
        "filename": part.get_filename() or "",
        "content_type": part.get_content_type(),
        "content": base64.b64encode(part.get_payload(decode=True) or b"").decode(),
        "content_id": (part.get("Content-ID") or "").strip("<>"),
    })

print(json.dumps({
    "subject": str(message.get("Subject", "")),
    "from": addresses("From"),
    "to": addresses("To"),
    "cc": addresses("Cc"),
    "bcc": addresses("Bcc"),
    "reply_to": addresses("Reply-To"),
    "text": text.get_content() if text is not None else None,
    "html": html.get_content() if html is not None else None,
    "attachments": attachments,
    "defects": [str(d) for d in message.defects] + [str(d) for p in message.walk() for d in p.defects],
}))
