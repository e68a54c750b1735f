package dev.tfkit.serving;

import java.util.Comparator;
import java.util.List;
import tensorflow.serving.Model.ModelSpec;

/**
 * The answer to a classify call: for each example sent, in order, its classes and scores.
 *
 * @param modelSpec the model spec that answered
 * @param classes per example, its classes in the model's order
 */
public record Classifications(ModelSpec modelSpec, List<List<ClassScore>> classes) {
  /** Freezes the lists. */
  public Classifications {
    classes = classes.stream().map(List::copyOf).toList();
  }

  /** The highest-scoring class of example {@code i}. */
  public ClassScore best(int i) {
    return classes.get(i).stream().max(Comparator.comparingDouble(ClassScore::score))
        .orElseThrow(() -> new IllegalArgumentException("example " + i + " has no classes"));
  }
}
