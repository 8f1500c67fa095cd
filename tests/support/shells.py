"""Real bash and zsh completing a netfence command line with the script netfence prints.

bash: the completion function is called as bash's programmable completion calls it (COMP_WORDS,
COMP_CWORD), and COMPREPLY is printed. zsh: completion only runs inside the line editor, so an
interactive zsh is driven in a pseudo-terminal (zsh's zpty module) and the TAB key pressed; the
screen it draws is read back with its escape sequences removed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

_BASH_DRIVER = r"""
source "$1"; shift
COMP_WORDS=(netfence "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
_shtab_netfence netfence "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
printf '%s\n' "${COMPREPLY[@]}"
"""

_ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; PS1='READY> '; LISTMAX=0; print -r -- START-MARK"
zpty -r -m z out '*START-MARK*'
zpty -r -m z out '*READY> *'
zpty -n -w z "$2"$'\t'
sleep 1.5
all=''
while zpty -r -t z chunk; do all+=$chunk; done
print -r -- "$all"
zpty -d z
"""

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x07\x08\r]")


def require_shell(name: str) -> str:
    """The shell's executable; skipped when missing, a failure under CI."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
        pytest.skip(message)
    return found


def bash_candidates(script: Path, words: list[str]) -> list[str]:
    """What bash offers for ``netfence WORDS`` (the last word being completed)."""
    bash = require_shell("bash")
    done = subprocess.run(
        [bash, "-c", _BASH_DRIVER, "driver", str(script), *words],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.split()


def zsh_screen(function_dir: Path, line: str) -> str:
    """What an interactive zsh shows after TAB at the end of ``line`` (escapes removed)."""
    zsh = require_shell("zsh")
    done = subprocess.run(
        [zsh, "-f", "-c", _ZSH_DRIVER, "driver", str(function_dir), line],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return _ESCAPES.sub("", done.stdout)
