package dev.tfkit.serving;

/**
 * One class of a classification: its label ({@code ""} when the model has none) and score.
 *
 * @param label the class label
 * @param score the class score
 */
public record ClassScore(String label, float score) {}
