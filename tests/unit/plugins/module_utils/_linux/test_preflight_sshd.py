"""The preflight's sshd -t refusal names the line sshd refused, not only its closing words."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.preflight import linux_preflight

REFUSAL = ("/etc/ssh/sshd_config.d/50-typo.conf: line 1: Bad configuration option: PermitRootLogn\n"
           "/etc/ssh/sshd_config.d/50-typo.conf: terminating, 1 bad configuration options\n")


def test_the_refusal_names_the_bad_line_and_the_file(tmp_path):
    pam = tmp_path / "sshd"
    pam.write_text("@include common-auth\n")

    def run(argv):
        assert argv[1:] == ["-t"]
        return 255, "", REFUSAL

    result, problems = linux_preflight({"sshd_path": "/usr/sbin/sshd", "pam_file": str(pam), "pam_module": "pam_oath.so"}, run)
    assert result["sshd_ok"] is False
    refusal = [p for p in problems if p.startswith("sshd -t rejects")]
    assert len(refusal) == 1
    assert "line 1: Bad configuration option: PermitRootLogn" in refusal[0]
    assert "terminating, 1 bad configuration options" in refusal[0]


def test_a_silent_sshd_failure_still_says_so(tmp_path):
    pam = tmp_path / "sshd"
    pam.write_text("@include common-auth\n")
    _result, problems = linux_preflight({"sshd_path": "/usr/sbin/sshd", "pam_file": str(pam), "pam_module": "pam_oath.so"},
                                        lambda argv: (1, "", ""))
    assert "sshd -t rejects the current configuration: ?" in problems
