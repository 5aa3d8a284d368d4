# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login prover's choices that need no sshd: the wrong code, the fresh time step."""
from __future__ import annotations

import time

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _ssh_prover as login_prover
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import LoginProver

KEY = TotpKey("AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU")


def _prover(window=3):
    return LoginProver("192.0.2.1", 22, "root", "pw", KEY, window=window, timeout=1)


def test_wrong_code_is_valid_for_no_step_pam_oath_would_accept():
    at = 1_800_000_000
    wrong = _prover().wrong_code(at=at)
    assert len(wrong) == 6 and wrong.isdigit()
    assert all(KEY.code_at(at + k * 30) != wrong for k in range(-5, 6))


def test_fresh_step_does_not_wait_when_the_last_use_is_an_older_step():
    login_prover._USED_STEPS.clear()
    step, waited = _prover().fresh_step(last_used=time.time() - 60)
    assert step == int(time.time() // 30) and waited == 0


def test_fresh_step_waits_for_the_next_step_after_a_use_in_the_current_one(monkeypatch):
    login_prover._USED_STEPS.clear()
    now = [1_800_000_010.0]
    monkeypatch.setattr(login_prover.time, "time", lambda: now[0])
    monkeypatch.setattr(login_prover.totp.time, "time", lambda: now[0])

    def sleep(seconds):
        now[0] += seconds

    monkeypatch.setattr(login_prover.time, "sleep", sleep)
    step, waited = _prover().fresh_step(last_used=1_800_000_005)
    assert step == int(1_800_000_005 // 30) + 1
    assert 20 <= waited <= 21


def test_prompts_are_told_apart_like_pam_oath_words_them():
    assert login_prover._is_otp_prompt("One-time password (OATH) for `root': ")
    assert not login_prover._is_otp_prompt("Password: ")


def _frozen_clock(monkeypatch, start):
    now = [start]
    monkeypatch.setattr(login_prover.time, "time", lambda: now[0])
    monkeypatch.setattr(login_prover.totp.time, "time", lambda: now[0])

    def sleep(seconds):
        now[0] += seconds

    monkeypatch.setattr(login_prover.time, "sleep", sleep)
    return now


def test_step_after_takes_the_next_step_inside_the_window_instead_of_waiting(monkeypatch):
    # TrueNAS 26: the API proof took step s; the SSH proof takes s + 1 at once (window 1).
    login_prover._USED_STEPS.clear()
    _frozen_clock(monkeypatch, 1_800_000_010.0)
    s = int(1_800_000_010 // 30)
    assert _prover(window=1).step_after(s, ahead=1) == (s + 1, 0.0)


def test_step_after_never_reuses_a_step_and_waits_only_beyond_the_window(monkeypatch):
    login_prover._USED_STEPS.clear()
    now = _frozen_clock(monkeypatch, 1_800_000_010.0)
    s = int(1_800_000_010 // 30)
    step, waited = _prover(window=1).step_after(s + 1, ahead=1)
    assert step == s + 2 and 20 <= waited <= 21 and int(now[0] // 30) == s + 1


def test_step_after_without_look_ahead_waits_for_the_next_step_as_linux_proofs_do(monkeypatch):
    login_prover._USED_STEPS.clear()
    _frozen_clock(monkeypatch, 1_800_000_010.0)
    s = int(1_800_000_010 // 30)
    assert _prover(window=3).step_after(s - 1) == (s, 0.0)
    step, waited = _prover(window=3).step_after(s)
    assert step == s + 1 and 20 <= waited <= 21


def test_look_ahead_is_bounded_by_the_window(monkeypatch):
    login_prover._USED_STEPS.clear()
    _frozen_clock(monkeypatch, 1_800_000_010.0)
    s = int(1_800_000_010 // 30)
    step, waited = _prover(window=0).step_after(s, ahead=3)
    assert step == s + 1 and waited > 0


def test_two_proofs_against_one_replay_state_take_the_step_before_now_and_now(monkeypatch):
    # TrueNAS 26: the API proof takes s - 1, the SSH proof s; neither waits nor takes a step to come.
    login_prover._USED_STEPS.clear()
    _frozen_clock(monkeypatch, 1_800_000_010.0)
    s = int(1_800_000_010 // 30)
    prover = _prover(window=1)
    first, waited = prover.first_of_two_steps(s - 5, ahead=1)
    assert (first, waited) == (s - 1, 0.0)
    assert prover.step_after(first, ahead=1) == (s, 0.0)


def test_the_first_of_two_steps_never_reuses_the_step_before_now(monkeypatch):
    login_prover._USED_STEPS.clear()
    _frozen_clock(monkeypatch, 1_800_000_010.0)
    s = int(1_800_000_010 // 30)
    assert _prover(window=1).first_of_two_steps(s - 1, ahead=1) == (s, 0.0)
    assert _prover(window=0).first_of_two_steps(s - 5, ahead=0) == (s, 0.0)
