package dev.tfkit.server.tensorflow;

import dev.tfkit.server.lifecycle.ServableId;
import dev.tfkit.server.lifecycle.ServableLoader;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads model versions as {@link SavedModelServable}s for the lifecycle manager, with optional
 * request batching and warmup replay.
 */
public final class SavedModelLoader implements ServableLoader<SavedModelServable> {
  private final InputValidator validator;
  private final Optional<BatchingOptions> batching;
  private final boolean warmup;
  private final SessionThreads threads;
  private volatile boolean allowSoftPlacement;
  private volatile int warmupIterations = 1;
  private volatile Optional<LoadProbe> probe = Optional.empty();

  public SavedModelLoader(
      InputValidator validator, Optional<BatchingOptions> batching, boolean warmup) {
    this(validator, batching, warmup, SessionThreads.AUTO);
  }

  public SavedModelLoader(
      InputValidator validator,
      Optional<BatchingOptions> batching,
      boolean warmup,
      SessionThreads threads) {
    this.validator = validator;
    this.batching = batching;
    this.warmup = warmup;
    this.threads = threads;
  }

  /** Lets TensorFlow place nodes pinned to a device this machine lacks elsewhere (TF's allow_soft_placement). */
  public SavedModelLoader allowSoftPlacement(boolean on) {
    this.allowSoftPlacement = on;
    return this;
  }

  /** Replays each warmup record this many times (TF Serving's num_request_iterations; default 1). */
  public SavedModelLoader warmupIterations(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("warmup iterations must be at least 1, got " + n);
    }
    this.warmupIterations = n;
    return this;
  }

  /** Loads each version in a separate trial JVM first ({@link LoadProbe}); empty: load directly. */
  public SavedModelLoader probe(Optional<LoadProbe> probe) {
    this.probe = probe;
    return this;
  }

  @Override
  public SavedModelServable load(ServableId id, Path dir) throws Exception {
    Optional<LoadProbe> p = probe;
    if (p.isPresent()) {
      p.get().check(dir, warmup, allowSoftPlacement);
    }
    SavedModelServable s =
        SavedModelServable.load(dir, validator, new SessionOptions(threads, allowSoftPlacement));
    try {
      if (warmup) {
        Warmup.run(s, dir, warmupIterations);
      }
      batching.ifPresent(b -> s.batcher(new Batcher(b, id.name() + "-" + id.version())));
      return s;
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  @Override
  public void unload(ServableId id, SavedModelServable servable) {
    servable.close();
  }
}
