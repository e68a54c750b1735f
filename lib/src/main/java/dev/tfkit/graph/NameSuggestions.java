package dev.tfkit.graph;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Finds the names closest to a misspelt one, for "not found; did you mean ...?" errors.
 *
 * <p>Scores by edit distance of the whole name and of its last path segment, so that {@code
 * encoder/AvgPool} finds {@code encoder_content_4/downsample/AvgPool}.
 */
final class NameSuggestions {
  private NameSuggestions() {}

  /** Up to {@code limit} names from {@code candidates} closest to {@code wanted}. */
  static List<String> closest(String wanted, Collection<String> candidates, int limit) {
    record Scored(String name, double score) {}
    List<Scored> scored = new ArrayList<>();
    String w = wanted.toLowerCase(Locale.ROOT);
    String wLast = lastSegment(w);
    for (String c : candidates) {
      String lc = c.toLowerCase(Locale.ROOT);
      double whole = distance(w, lc) / (double) Math.max(1, Math.max(w.length(), lc.length()));
      double last = distance(wLast, lastSegment(lc)) / (double) Math.max(1, Math.max(wLast.length(), lastSegment(lc).length()));
      double score = Math.min(whole, last + 0.15);
      if (lc.contains(w) || (wLast.length() > 2 && lc.endsWith(wLast))) score = Math.min(score, 0.2);
      scored.add(new Scored(c, score));
    }
    scored.sort(Comparator.comparingDouble(Scored::score).thenComparing(Scored::name));
    List<String> out = new ArrayList<>();
    for (Scored s : scored) {
      if (out.size() >= limit || s.score() > 0.6) break;
      out.add(s.name());
    }
    return out;
  }

  /** The standard "not found" message: {@code <what> 'x' not found; did you mean 'a', 'b'?}. */
  static String notFound(String what, String wanted, Collection<String> candidates) {
    List<String> near = closest(wanted, candidates, 3);
    StringBuilder sb = new StringBuilder(what).append(" '").append(wanted).append("' not found");
    if (!near.isEmpty()) {
      sb.append("; did you mean ");
      for (int i = 0; i < near.size(); i++) {
        if (i > 0) sb.append(i == near.size() - 1 ? " or " : ", ");
        sb.append('\'').append(near.get(i)).append('\'');
      }
      sb.append('?');
    }
    return sb.toString();
  }

  private static String lastSegment(String s) {
    int slash = s.lastIndexOf('/');
    return slash < 0 ? s : s.substring(slash + 1);
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
