"""Consume itosm's ticket events from RabbitMQ, each one once (pika + sqlite3)."""

import json
import os
import sqlite3

import pika

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/%2f")
EXCHANGE = os.environ.get("EXCHANGE", "ticket_exchange")
QUEUE = os.environ.get("QUEUE", "reporting.ticket-events")  # yours: name it after your service
BINDING = os.environ.get("BINDING", "ticket.#")  # or one key, e.g. ticket.created
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "0"))  # > 0: stop after that long idle

db = sqlite3.connect(os.environ.get("DB", "reporting.db"), isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS processed_events (event_id TEXT PRIMARY KEY)")
db.execute(
    "CREATE TABLE IF NOT EXISTS tickets (number TEXT PRIMARY KEY, status TEXT, version INTEGER)"
)


def handle(event):
    """Your work. It runs in the transaction that records the event id."""
    ticket = event["ticket"]
    # Keep the newest snapshot: a ticket's events may arrive out of order.
    db.execute(
        "INSERT INTO tickets VALUES (?, ?, ?) ON CONFLICT (number) DO UPDATE"
        " SET status = excluded.status, version = excluded.version"
        " WHERE excluded.version > tickets.version",
        (ticket["number"], ticket["status"], ticket["version"]),
    )


def on_message(channel, method, body):
    event = json.loads(body)
    if event.get("schema_version") != 1:
        # A version this code does not know: park it in our DLQ, do not guess.
        channel.basic_nack(method.delivery_tag, requeue=False)
        return
    db.execute("BEGIN")
    try:
        db.execute("INSERT INTO processed_events VALUES (?)", (event["event_id"],))
    except sqlite3.IntegrityError:
        db.execute("ROLLBACK")  # seen before: a redelivery or a republish
        print("duplicate", event["event_id"], flush=True)
        channel.basic_ack(method.delivery_tag)
        return
    try:
        handle(event)
    except Exception:
        db.execute("ROLLBACK")
        raise  # unacked: the broker delivers it again
    db.execute("COMMIT")
    channel.basic_ack(method.delivery_tag)  # only once our work is committed
    print("processed", event["event_id"], event["type"], event["ticket"]["number"], flush=True)


connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
channel = connection.channel()
# The same declaration itosm makes, so this is a no-op once itosm has started.
channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
channel.queue_declare(QUEUE + ".dlq", durable=True, arguments={"x-queue-type": "quorum"})
channel.queue_declare(
    QUEUE,
    durable=True,
    arguments={
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": QUEUE + ".dlq",
    },
)
channel.queue_bind(QUEUE, EXCHANGE, routing_key=BINDING)
channel.basic_qos(prefetch_count=50)
print("ready", flush=True)
for method, _properties, body in channel.consume(QUEUE, inactivity_timeout=IDLE_SECONDS or None):
    if method is None:
        break  # idle for IDLE_SECONDS
    on_message(channel, method, body)
channel.cancel()
connection.close()
