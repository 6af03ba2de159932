"""`kefu say` and `kefu demo`: the conversation engine in a terminal, exactly as on Telegram."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.app import App
from bot.engine.messages import Button, Incoming, Reply
from bot.terminal import plain

#: Demo personas: a shopper with orders in the demo shop, and a staff member.
DEMO_SHOPPER = 5000000001
DEMO_STAFF = 4000000001


def reply_json(reply: Reply) -> str:
    data = {
        "reply": reply.text,
        "buttons": [b.text for b in reply.buttons],
        "intent": reply.intent,
        "lang": reply.lang,
        "handoff": reply.handoff,
    }
    return json.dumps(data, ensure_ascii=False)


def press(text: str, buttons: list[Button]) -> str | None:
    """A typed button label acts as pressing it (the terminal has no buttons)."""
    for button in buttons:
        if text.strip() == button.text:
            return button.data
    return None


@dataclass
class Persona:
    name: str
    user_id: int
    lang_code: str | None


class DemoChat:
    """A chat where one can be a shopper, a supplier or staff (`:as shopper|supplier|staff`)."""

    HELP = (
        "Type a message as the current persona. Commands: :as shopper | :as supplier | :as staff, "
        ":user ID, :contact PHONE, :close (staff give a handed-over chat back to the bot), :help, :quit"
    )

    def __init__(self, app: App, console: Console, supplier_user: int | None) -> None:
        self.app = app
        self.console = console
        self.personas = {
            "shopper": Persona("shopper", DEMO_SHOPPER, "zh-hans"),
            "supplier": Persona("supplier", supplier_user or 7000000001, "ru"),
            "staff": Persona("staff", DEMO_STAFF, "ru"),
        }
        self.persona = self.personas["shopper"]
        self.last_buttons: list[Button] = []
        self.last_customer = DEMO_SHOPPER

    async def line(self, text: str) -> bool:
        """Handle one typed line; False to stop."""
        text = text.rstrip("\n")
        if text.startswith(":"):
            return await self._meta(text)
        incoming = Incoming(self.persona.user_id, text, self.persona.lang_code)
        callback = press(text, self.last_buttons)
        if callback is not None:
            incoming = replace(incoming, text="", callback=callback)
        reply = await self.app.engine.handle(incoming)
        if self.persona.name == "shopper":
            self.last_customer = self.persona.user_id
        self.show(reply)
        return True

    async def _meta(self, text: str) -> bool:
        command, _, arg = text[1:].partition(" ")
        arg = arg.strip()
        if command in ("q", "quit", "exit"):
            return False
        if command == "as" and arg in self.personas:
            self.persona = self.personas[arg]
            self.console.print(f"[dim]now chatting as {arg} (Telegram user {self.persona.user_id})[/]")
        elif command == "user" and arg.isdigit():
            self.persona = Persona(self.persona.name, int(arg), self.persona.lang_code)
            self.console.print(f"[dim]now chatting as Telegram user {arg}[/]")
        elif command == "contact" and arg:
            self.show(
                await self.app.engine.handle(
                    Incoming(self.persona.user_id, contact_phone=arg, contact_user_id=self.persona.user_id)
                )
            )
        elif command == "close":
            reply = await self.app.engine.close_handoff(self.last_customer, self.personas["staff"].user_id)
            if reply is None:
                self.console.print("[dim]that chat is not handed over[/]")
            else:
                self.console.print(f"[dim]handoff closed; the customer {self.last_customer} is told:[/]")
                self.show(reply)
        else:
            self.console.print(f"[dim]{self.HELP}[/]")
        return True

    def show(self, reply: Reply) -> None:
        # Replies quote what users typed and the shop's data: shown as text, never as rich markup.
        if reply.text:
            body = Text(plain(reply.text))
        else:
            body = Text("(the bot stays quiet: people hold this chat)", style="dim")
        subtitle = f"intent={reply.intent} lang={reply.lang}" + (
            " · HANDED TO STAFF" if reply.handoff else ""
        )
        self.console.print(
            Panel(body, title="kefu", title_align="left", subtitle=subtitle, subtitle_align="right")
        )
        if reply.buttons:
            labels: list[str | tuple[str, str]] = []
            for button in reply.buttons:
                labels += ["  ", (f" {plain(button.text, one_line=True)} ", "reverse")]
            self.console.print(Text.assemble(*labels))
        if reply.request_contact:
            self.console.print("  [reverse] 📱 share my phone [/]  [dim](type :contact +86...)[/]")
        for note in reply.notifications:
            line = f"→ sent to user {note.user_id} ({note.lang}): {plain(note.text)}"
            self.console.print(Text(line, style="dim"))
        self.last_buttons = reply.buttons


async def run_demo_chat(app: App, console: Console, supplier_user: int | None) -> None:
    chat = DemoChat(app, console, supplier_user)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not interactive:
        for line in sys.stdin:
            if line.strip():
                echo = plain(line.strip(), one_line=True)
                console.print(Text.assemble((f"{chat.persona.name}>", "bold"), f" {echo}"))
                if not await chat.line(line):
                    break
        return
    from prompt_toolkit import PromptSession

    console.print(f"[dim]{DemoChat.HELP}[/]")
    prompt: PromptSession[str] = PromptSession()
    while True:
        try:
            text = await prompt.prompt_async(f"{chat.persona.name}> ")
        except (EOFError, KeyboardInterrupt):
            break
        if text.strip() and not await chat.line(text):
            break


def say_fallback(lang_code: str | None, as_json: bool, locales_dir: Any) -> str:
    """What `kefu say` prints when the shop itself is unreachable: still a polite answer."""
    from bot.engine.i18n import I18n
    from bot.engine.language import from_language_code

    lang = from_language_code(lang_code) or "zh"
    text = I18n(locales_dir)[lang]._(
        "Sorry, we're a little busy right now. Please write again shortly; we will answer you."
    )
    if not as_json:
        return text
    payload: dict[str, Any] = {
        "reply": text,
        "buttons": [],
        "intent": "out_of_scope",
        "lang": lang,
        "handoff": False,
    }
    return json.dumps(payload, ensure_ascii=False)
