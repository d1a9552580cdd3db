"""Cycle detection on the in-memory digraph used by ingest."""

from __future__ import annotations

from provgraph.service.dag import Digraph, find_cycle


def test_a_dag_has_no_strongly_connected_component() -> None:
    graph: Digraph[str] = Digraph()
    for child, parent in [("c", "b"), ("b", "a"), ("c", "a"), ("d", "c")]:
        graph.add(child, parent)
    assert graph.strongly_connected() == []


def test_a_cycle_is_found_and_walked_in_order() -> None:
    graph: Digraph[str] = Digraph()
    graph.add("x", "a", 1)
    graph.add("a", "b", 2)
    graph.add("b", "c", 3)
    graph.add("c", "a", 4)
    [component] = graph.strongly_connected()
    assert set(component) == {"a", "b", "c"}
    cycle = find_cycle(graph, component)
    assert len(cycle) == 3
    for (_, parent, _), (child, _, _) in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        assert parent == child  # consecutive edges join up and the last returns to the first


def test_deep_chains_do_not_hit_the_recursion_limit() -> None:
    graph: Digraph[int] = Digraph()
    for i in range(50_000):
        graph.add(i + 1, i)
    assert graph.strongly_connected() == []
    graph.add(0, 50_000)
    [component] = graph.strongly_connected()
    assert len(component) == 50_001
