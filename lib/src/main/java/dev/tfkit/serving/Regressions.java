package dev.tfkit.serving;

import java.util.List;
import tensorflow.serving.Model.ModelSpec;

/**
 * The answer to a regress call: one value per example sent, in order.
 *
 * @param modelSpec the model spec that answered
 * @param values the regression value of each example
 */
public record Regressions(ModelSpec modelSpec, List<Float> values) {
  /** Freezes the list. */
  public Regressions {
    values = List.copyOf(values);
  }
}
