"""What the user asks a manager to do, as plain coroutines that return outcomes.

No Textual here: a flow on a screen awaits its dialogs, calls one of these, and
turns the outcome into words. Each outcome type says everything the screen needs
to tell the user (what was found after a lost answer, why the manager refused),
so the same behaviour is testable against a manager without any UI.
"""
