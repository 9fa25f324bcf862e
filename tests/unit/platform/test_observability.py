from tally.platform.observability import LazyTracer


def test_the_lazy_tracer_builds_a_powertools_tracer_on_the_first_traced_call(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    lazy = LazyTracer()

    @lazy.capture_method
    def double(x):
        return 2 * x

    assert lazy._tracer is None  # nothing built at decoration (import) time
    assert double(21) == 42
    from aws_lambda_powertools import Tracer

    assert isinstance(lazy._tracer, Tracer)
    assert double.__name__ == "double"
