import pytest

from course_lib.tooling import template

GOOD = """\
# header comment, dropped
# %% [markdown]
# # Title
#
# Text.

# %%
x = 1

# %% [solution] course_lib.rnn_layers:rnn_step_forward

# %% [test] id=test_a points=2
print(x)

# %% [answer] id=q1 points=1.5
# An answer.
"""


def test_parse_reads_kinds_options_and_bodies():
    cells = template.parse(GOOD)
    assert [c.kind for c in cells] == ["markdown", "code", "solution", "test", "answer"]
    assert cells[0].source == "# Title\n\nText."
    assert cells[1].source == "x = 1"
    assert cells[2].reference == "course_lib.rnn_layers:rnn_step_forward"
    assert cells[3].options == {"id": "test_a", "points": 2.0}
    assert cells[4].source == "An answer."


@pytest.mark.parametrize(
    "text, message",
    [
        ("# %% [quiz]\nx\n", "unknown cell kind"),
        ("# %% [test] points=1\nx\n", "needs id"),
        ("# %% [test] id=a.b points=1\nx\n", "may only use"),
        ("# %% [test] id=a points=many\nx\n", "points must be a number"),
        ("# %% [solution] rnn_step_forward\n", "module:function"),
        ("# %% [solution] m:f\nbody\n", "leave its body empty"),
        ("# %% [markdown]\nnot a comment\n", "start with '# '"),
        ("# %% [test] id=a points=1\n\n# %% [answer] id=a points=1\n", "used twice"),
    ],
)
def test_parse_rejects_broken_templates_with_a_pointed_message(text, message):
    with pytest.raises(template.TemplateError, match=message):
        template.parse(text, "t.py")
