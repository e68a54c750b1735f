package dev.tfkit.kernel;

import java.util.List;

/**
 * Jupyter's complete answer: the candidates for the text at the cursor, which replace the code from
 * {@code start} to {@code end}.
 */
public record Completion(List<String> matches, int start, int end) {
  public Completion {
    matches = List.copyOf(matches);
  }
}
