package dev.tfkit.kernel;

/** Jupyter's is_complete answer: status "complete", "incomplete" (with an indent), "invalid". */
public record Completeness(String status, String indent) {}
