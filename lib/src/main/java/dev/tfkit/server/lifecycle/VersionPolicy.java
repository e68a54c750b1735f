package dev.tfkit.server.lifecycle;

import java.util.Collections;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which of the versions found on disk should be served: TF Serving's {@code model_version_policy}
 * ({@code latest {num_versions}} (the default, 1), {@code all}, {@code specific {versions}}).
 */
public final class VersionPolicy {
  private enum Kind {
    LATEST,
    ALL,
    SPECIFIC
  }

  private final Kind kind;
  private final int numVersions;
  private final SortedSet<Long> versions;

  private VersionPolicy(Kind kind, int numVersions, SortedSet<Long> versions) {
    this.kind = kind;
    this.numVersions = numVersions;
    this.versions = versions;
  }

  /** The {@code num_versions} highest versions. */
  public static VersionPolicy latest(int numVersions) {
    if (numVersions < 1) {
      throw new IllegalArgumentException(
          "model_version_policy latest num_versions must be at least 1, got " + numVersions);
    }
    return new VersionPolicy(Kind.LATEST, numVersions, Collections.emptySortedSet());
  }

  /** TF Serving's default: the highest version only. */
  public static VersionPolicy latest() {
    return latest(1);
  }

  /** Every version found. */
  public static VersionPolicy all() {
    return new VersionPolicy(Kind.ALL, 0, Collections.emptySortedSet());
  }

  /** Exactly these versions (those that exist on disk). */
  public static VersionPolicy specific(Iterable<Long> versions) {
    TreeSet<Long> set = new TreeSet<>();
    versions.forEach(set::add);
    if (set.isEmpty()) {
      throw new IllegalArgumentException("model_version_policy specific lists no versions");
    }
    return new VersionPolicy(Kind.SPECIFIC, 0, Collections.unmodifiableSortedSet(set));
  }

  /** The versions to serve out of those found on disk. */
  public NavigableSet<Long> select(SortedSet<Long> onDisk) {
    TreeSet<Long> out = new TreeSet<>();
    switch (kind) {
      case ALL -> out.addAll(onDisk);
      case SPECIFIC -> {
        for (Long v : versions) {
          if (onDisk.contains(v)) {
            out.add(v);
          }
        }
      }
      case LATEST -> {
        TreeSet<Long> desc = new TreeSet<>(Collections.reverseOrder());
        desc.addAll(onDisk);
        for (Long v : desc) {
          if (out.size() == numVersions) {
            break;
          }
          out.add(v);
        }
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionPolicy p
        && p.kind == kind
        && p.numVersions == numVersions
        && p.versions.equals(versions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, numVersions, versions);
  }

  /** In the text format of {@code model_version_policy}. */
  @Override
  public String toString() {
    return switch (kind) {
      case LATEST -> "latest { num_versions: " + numVersions + " }";
      case ALL -> "all {}";
      case SPECIFIC -> {
        StringBuilder sb = new StringBuilder("specific {");
        versions.forEach(v -> sb.append(" versions: ").append(v));
        yield sb.append(" }").toString();
      }
    };
  }
}
