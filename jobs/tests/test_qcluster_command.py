"""The project's `qcluster` command: what it does before django-q2's cluster starts."""

from __future__ import annotations

from unittest import mock

from jobs.management.commands import qcluster


def test_the_cluster_runs_at_q_nice_before_it_loads_the_engines_or_forks(settings):
    settings.Q_NICE = 7
    calls = mock.Mock()
    with (
        mock.patch.object(qcluster, "run_niced", calls.nice),
        mock.patch.object(qcluster, "warm_up", calls.warm_up),
        mock.patch.object(qcluster.ClusterCommand, "handle", calls.cluster),
        # what handle() installs in django-q2, put back after the test
        mock.patch.object(qcluster.cluster, "Sentinel", qcluster.cluster.Sentinel),
        mock.patch.object(qcluster.qcluster_command, "Cluster", qcluster.qcluster_command.Cluster),
        mock.patch.object(qcluster.post_spawn, "connect"),
    ):
        qcluster.Command().handle()
    assert [name for name, _, _ in calls.mock_calls] == ["nice", "warm_up", "cluster"]
    calls.nice.assert_called_once_with(7)


def test_a_session_leader_nices_its_autogroup_too(tmp_path):
    autogroup = tmp_path / "autogroup"
    with (
        mock.patch.object(qcluster.os, "nice") as nice,
        mock.patch.object(qcluster.os, "getsid", return_value=4242),
        mock.patch.object(qcluster.os, "getpid", return_value=4242),
        mock.patch.object(qcluster, "Path", return_value=autogroup),
    ):
        qcluster.run_niced(10)
    nice.assert_called_once_with(10)
    assert autogroup.read_text() == "10"


def test_a_process_in_another_s_session_leaves_the_autogroup_alone(tmp_path):
    autogroup = tmp_path / "autogroup"
    with (
        mock.patch.object(qcluster.os, "nice") as nice,
        mock.patch.object(qcluster.os, "getsid", return_value=1),
        mock.patch.object(qcluster.os, "getpid", return_value=4242),
        mock.patch.object(qcluster, "Path", return_value=autogroup),
    ):
        qcluster.run_niced(10)
        qcluster.run_niced(0)
    assert [c.args for c in nice.call_args_list] == [(10,), (0,)]
    assert not autogroup.exists()  # bin/run: the web server shares the session, and would be niced with it
