package dev.tfkit.server.lifecycle;

import dev.tfkit.server.util.DaemonThreads;
import dev.tfkit.server.util.RequestException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Keeps the configured models' versions loaded according to their policies, and hands requests a
 * reference-counted hold on the version they ask for — TF Serving's manager with its
 * availability-preserving policy, knowing nothing of TensorFlow.
 *
 * <p>Transitions preserve availability: a new version is loaded and serving before an old one is
 * retired; a retired version stops taking new requests at once but is unloaded only after the
 * requests already using it finish. A failed load leaves what was serving in place and shows in
 * {@link #status} as {@code END} with the error; it is retried when its folder changes (a copy that
 * was still running when it was first seen), disappears, or the model's configuration changes.
 *
 * <p>Configuration changes and polls are serialized; requests never wait for them.
 *
 * @param <S> the servable type
 */
public final class ModelManager<S> implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");

  private final ServableLoader<S> loader;
  private final Consumer<ServableStatus> listener;
  private final Map<String, ModelEntry> models = new LinkedHashMap<>();
  /** Statuses of every version ever seen, by model, newest version first; kept after unload. */
  private final Map<String, NavigableMap<Long, ServableStatus>> statuses =
      new ConcurrentHashMap<>();
  /** What requests read: model → version → loaded servable. Replaced whole, never mutated. */
  private volatile Map<String, NavigableMap<Long, LoadedVersion<S>>> serving = Map.of();
  /** Label maps requests read, replaced whole. */
  private volatile Map<String, Map<String, Long>> labels = Map.of();

  private ScheduledExecutorService poller;
  /** Runs load retries (TF Serving's max_num_load_retries / load_retry_interval_micros). */
  private ScheduledExecutorService retrier;
  private int maxNumLoadRetries = DEFAULT_MAX_NUM_LOAD_RETRIES;
  private Duration loadRetryInterval = DEFAULT_LOAD_RETRY_INTERVAL;
  private final AtomicInteger pendingRetries =
      new AtomicInteger();
  private boolean closed;

  /** TF Serving's default {@code --max_num_load_retries}. */
  public static final int DEFAULT_MAX_NUM_LOAD_RETRIES = 5;
  /** TF Serving's default {@code --load_retry_interval_micros}: one minute. */
  public static final Duration DEFAULT_LOAD_RETRY_INTERVAL = Duration.ofMinutes(1);

  private final class ModelEntry {
    ModelConfig config;
    /** Failed versions and the fingerprint their folder had when the load began. */
    final Map<Long, Long> failed = new HashMap<>();
    /**
     * The retry series of each failed version: a fresh one starts with every load not made by a
     * retry (first sight, a changed folder, a changed config), and a scheduled retry runs only
     * while its series is the version's current one.
     */
    final Map<Long, Object> retrySeries = new HashMap<>();

    ModelEntry(ModelConfig config) {
      this.config = config;
    }
  }

  /** A manager that logs each version loaded, unloaded or failed. */
  public ModelManager(ServableLoader<S> loader) {
    this(loader, s -> {});
  }

  /**
   * A manager that also tells {@code listener} about every state change (after logging it).
   */
  public ModelManager(ServableLoader<S> loader, Consumer<ServableStatus> listener) {
    this.loader = Objects.requireNonNull(loader, "loader");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * How often a failed load is retried, and how long apart, as TF Serving's {@code
   * --max_num_load_retries} (0: never) and {@code --load_retry_interval_micros} (negative: no
   * wait). Unlike TF Serving, which retries inside the load and keeps the version LOADING, the
   * version shows END with the error at once and the retries run in the background; they stop
   * when one succeeds, when the version is no longer wanted, and when a changed folder or config
   * starts a fresh series (with the full count again).
   */
  public synchronized ModelManager<S> loadRetries(int maxNumLoadRetries, Duration interval) {
    if (maxNumLoadRetries < 0) {
      throw new IllegalArgumentException("max_num_load_retries must be 0 or more, not " + maxNumLoadRetries);
    }
    this.maxNumLoadRetries = maxNumLoadRetries;
    this.loadRetryInterval = Objects.requireNonNull(interval, "interval");
    return this;
  }

  /** Load retries scheduled and not yet run (for tests and status pages). */
  public int pendingRetries() {
    return pendingRetries.get();
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Serves exactly these models: new ones are loaded, removed ones unloaded, changed ones
   * re-reconciled; returns once every aspired version is loaded or failed.
   *
   * @throws RequestException FAILED_PRECONDITION if a version label points to a version that is
   *     not available (the other changes still apply; the model keeps its previous labels)
   * @throws IllegalArgumentException if two models share a name
   */
  public synchronized void setConfig(List<ModelConfig> configs) {
    ensureOpen();
    Map<String, ModelConfig> wanted = new LinkedHashMap<>();
    for (ModelConfig c : configs) {
      if (wanted.put(c.name(), c) != null) {
        throw new IllegalArgumentException("model name '" + c.name() + "' is configured twice");
      }
    }
    for (String name : new ArrayList<>(models.keySet())) {
      if (!wanted.containsKey(name)) {
        models.remove(name);
        unloadAll(name);
      }
    }
    for (ModelConfig c : wanted.values()) {
      ModelEntry e = models.get(c.name());
      if (e == null) {
        models.put(c.name(), new ModelEntry(c));
      } else if (!e.config.equals(c)) {
        e.config = c;
        e.failed.clear(); // a changed config deserves a fresh attempt
        e.retrySeries.clear();
      }
    }
    List<String> labelErrors = new ArrayList<>();
    for (ModelEntry e : models.values()) {
      reconcile(e);
    }
    Map<String, Map<String, Long>> newLabels = new HashMap<>();
    for (ModelEntry e : models.values()) {
      Map<String, Long> current = labels.getOrDefault(e.config.name(), Map.of());
      String err = labelError(e);
      if (err == null) {
        newLabels.put(e.config.name(), e.config.versionLabels());
      } else {
        labelErrors.add(err);
        newLabels.put(e.config.name(), current);
      }
    }
    labels = Map.copyOf(newLabels);
    if (!labelErrors.isEmpty()) {
      throw RequestException.failedPrecondition(String.join("; ", labelErrors));
    }
  }

  /** Looks at every model's base path again and loads or unloads versions to match the policy. */
  public synchronized void poll() {
    if (closed) {
      return;
    }
    for (ModelEntry e : models.values()) {
      reconcile(e);
    }
  }

  /** Polls every {@code interval} on a daemon thread until {@link #close}. */
  public synchronized void startPolling(Duration interval) {
    ensureOpen();
    if (poller != null || interval.isZero() || interval.isNegative()) {
      return;
    }
    poller =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("tfkit-model-poller"));
    long ms = Math.max(1, interval.toMillis());
    poller.scheduleWithFixedDelay(this::pollQuietly, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "polling model versions failed: " + e.getMessage(), e);
    }
  }

  /** The configured models, in configuration order. */
  public synchronized List<ModelConfig> configs() {
    List<ModelConfig> out = new ArrayList<>();
    models.values().forEach(e -> out.add(e.config));
    return out;
  }

  // ---------------------------------------------------------------- requests

  /**
   * A hold on the version {@code request} asks for; close it when done.
   *
   * @throws RequestException NOT_FOUND ({@code Servable not found for request: Latest(x)}) when no
   *     such version is available, INVALID_ARGUMENT for an unknown label
   */
  public ServableHandle<S> acquire(ServableRequest request) {
    OptionalLong version = resolveLabel(request, true);
    // A version being retired refuses new references; the next snapshot no longer lists it.
    for (int attempt = 0; attempt < 100; attempt++) {
      LoadedVersion<S> lv = lookup(request.name(), version);
      if (lv == null) {
        break;
      }
      if (lv.tryAcquire()) {
        return new ServableHandle<>(lv);
      }
      Thread.onSpinWait();
    }
    throw RequestException.notFound(
        "Servable not found for request: "
            + ServableRequest.describe(RequestException.echo(request.name()), version));
  }

  /**
   * The servable {@code request} would reach now, without holding it (it may be unloaded at any
   * moment): for decisions that only read its statistics. Empty where {@link #acquire} would fail.
   */
  public Optional<S> peek(ServableRequest request) {
    OptionalLong version = resolveLabel(request, false);
    if (version == null) {
      return Optional.empty();
    }
    LoadedVersion<S> lv = lookup(request.name(), version);
    return lv == null ? Optional.empty() : Optional.of(lv.servable());
  }

  /** The requested version: the label's when there is one (unknown: throw, or null). */
  private OptionalLong resolveLabel(ServableRequest request, boolean throwIfUnknown) {
    if (request.label().isEmpty()) {
      return request.version();
    }
    String label = request.label().get();
    Long v = labels.getOrDefault(request.name(), Map.of()).get(label);
    if (v == null) {
      if (throwIfUnknown) {
        throw RequestException.invalidArgument(
            "Unrecognized servable version label: " + RequestException.echo(label));
      }
      return null;
    }
    return OptionalLong.of(v);
  }

  /** The loaded version {@code version} (latest when empty) of {@code name}, or null. */
  private LoadedVersion<S> lookup(String name, OptionalLong version) {
    NavigableMap<Long, LoadedVersion<S>> versions = serving.get(name);
    if (versions == null || versions.isEmpty()) {
      return null;
    }
    return version.isPresent() ? versions.get(version.getAsLong()) : versions.lastEntry().getValue();
  }

  /** The version a label points to, if the model has that label. */
  public Optional<Long> versionForLabel(String model, String label) {
    return Optional.ofNullable(labels.getOrDefault(model, Map.of()).get(label));
  }

  /** The labels of a model (label → version). */
  public Map<String, Long> labels(String model) {
    return labels.getOrDefault(model, Map.of());
  }

  /** Statuses of every version of {@code model} the manager has seen, newest first. */
  public List<ServableStatus> status(String model) {
    NavigableMap<Long, ServableStatus> m = statuses.get(model);
    return m == null ? List.of() : List.copyOf(m.values());
  }

  /** Whether the manager has ever seen a version of {@code model} (cheap; for metric labels). */
  public boolean knows(String model) {
    return statuses.containsKey(model);
  }

  /** The versions of {@code model} now serving requests, ascending. */
  public NavigableSet<Long> availableVersions(String model) {
    NavigableMap<Long, LoadedVersion<S>> m = serving.get(model);
    return m == null
        ? Collections.emptyNavigableSet()
        : Collections.unmodifiableNavigableSet(new TreeSet<>(m.keySet()));
  }

  /** Names of the models with at least one version serving. */
  public Set<String> servingModels() {
    return serving.keySet();
  }

  // ---------------------------------------------------------------- reconcile

  private void reconcile(ModelEntry e) {
    ModelConfig c = e.config;
    SortedSet<Long> onDisk;
    try {
      onDisk = VersionDiscovery.versions(c.basePath());
    } catch (IOException ex) {
      // Like TF Serving: a missing base path is logged and what is serving stays.
      LOG.log(
          System.Logger.Level.WARNING,
          "No versions of servable " + c.name() + " found under base path " + c.basePath()
              + ": " + ex.getMessage());
      return;
    }
    e.failed.keySet().retainAll(onDisk);
    e.retrySeries.keySet().retainAll(e.failed.keySet());
    NavigableSet<Long> aspired = c.policy().select(onDisk);
    // Newest first, so that the version "latest" requests reach is up as soon as possible.
    for (Long v : aspired.descendingSet()) {
      if (isServing(c.name(), v) || (e.failed.containsKey(v) && !folderChanged(e, v))) {
        continue;
      }
      load(e, v, 0, new Object());
    }
    boolean anyAspiredAvailable = aspired.stream().anyMatch(v -> isServing(c.name(), v));
    if (aspired.isEmpty() || anyAspiredAvailable) {
      NavigableMap<Long, LoadedVersion<S>> current = serving.get(c.name());
      if (current != null) {
        for (Long v : new ArrayList<>(current.keySet())) {
          if (!aspired.contains(v)) {
            retire(c.name(), v);
          }
        }
      }
    }
  }

  private boolean isServing(String name, long v) {
    NavigableMap<Long, LoadedVersion<S>> m = serving.get(name);
    return m != null && m.containsKey(v);
  }

  /** Whether a failed version's folder differs from when its load began. */
  private boolean folderChanged(ModelEntry e, long v) {
    try {
      Path dir = VersionDiscovery.dirOf(e.config.basePath(), v);
      return FolderFingerprint.of(dir) != e.failed.get(v);
    } catch (IOException ex) {
      return false;
    }
  }

  /**
   * Loads version {@code v}; {@code retriesDone} counts the retries of {@code series} before this
   * one (0 for a first attempt).
   */
  private void load(ModelEntry e, long v, int retriesDone, Object series) {
    ServableId id = new ServableId(e.config.name(), v);
    long fingerprint = 0;
    if (retriesDone == 0) {
      transition(ServableStatus.ok(id, ServableState.START));
      transition(ServableStatus.ok(id, ServableState.LOADING));
    } // a retry keeps the version END with its last error until it succeeds or fails anew
    S servable;
    try {
      Path dir = VersionDiscovery.dirOf(e.config.basePath(), v);
      // Taken before the load, so that files still changing during it count as a change.
      fingerprint = FolderFingerprint.of(dir);
      servable = loader.load(id, dir);
      if (servable == null) {
        throw new IllegalStateException("the loader returned nothing");
      }
    } catch (Exception | LinkageError ex) {
      String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
      RequestException.Code code;
      try {
        code = loader.errorCode(ex);
      } catch (RuntimeException codeFailure) {
        code = RequestException.Code.UNKNOWN;
      }
      e.failed.put(v, fingerprint);
      e.retrySeries.put(v, series);
      transition(ServableStatus.failed(id, msg, code));
      if (retriesDone < maxNumLoadRetries) {
        scheduleRetry(e, v, retriesDone + 1, series);
      } else if (maxNumLoadRetries > 0) {
        LOG.log(
            System.Logger.Level.INFO,
            "Retrying of Loading servable: " + id + " exhausted max_num_load_retries: " + maxNumLoadRetries);
      }
      return;
    }
    e.failed.remove(v);
    e.retrySeries.remove(v);
    LoadedVersion<S> lv = new LoadedVersion<>(id, servable, this::unloadNow);
    Map<String, NavigableMap<Long, LoadedVersion<S>>> next = new HashMap<>(serving);
    NavigableMap<Long, LoadedVersion<S>> versions =
        new TreeMap<>(next.getOrDefault(id.name(), new TreeMap<>()));
    versions.put(v, lv);
    next.put(id.name(), Collections.unmodifiableNavigableMap(versions));
    serving = Map.copyOf(next);
    transition(ServableStatus.ok(id, ServableState.AVAILABLE));
  }

  private void scheduleRetry(ModelEntry e, long v, int retry, Object series) {
    if (retrier == null) {
      retrier =
          Executors.newSingleThreadScheduledExecutor(
              DaemonThreads.named("tfkit-load-retry"));
    }
    long delayMs = Math.max(0, loadRetryInterval.toMillis());
    pendingRetries.incrementAndGet();
    retrier.schedule(
        () -> {
          try {
            retry(e, v, retry, series);
          } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.WARNING, "retrying a load failed: " + ex.getMessage(), ex);
          } finally {
            pendingRetries.decrementAndGet();
          }
        },
        delayMs,
        TimeUnit.MILLISECONDS);
  }

  private synchronized void retry(ModelEntry e, long v, int retry, Object series) {
    // Only while the version is still wanted, still failed, and this is still its series.
    if (closed || models.get(e.config.name()) != e || e.retrySeries.get(v) != series) {
      return;
    }
    SortedSet<Long> onDisk;
    try {
      onDisk = VersionDiscovery.versions(e.config.basePath());
    } catch (IOException ex) {
      return;
    }
    if (!e.config.policy().select(onDisk).contains(v) || isServing(e.config.name(), v)) {
      return;
    }
    LOG.log(
        System.Logger.Level.INFO,
        "Retrying of Loading servable: " + new ServableId(e.config.name(), v) + " retry: " + retry);
    load(e, v, retry, series);
    if (isServing(e.config.name(), v)) {
      // Retire what the policy no longer wants now that this version serves (as a poll would).
      reconcile(e);
    }
  }

  /** Stops new requests reaching the version; it unloads when the last one in flight ends. */
  private void retire(String name, long v) {
    Map<String, NavigableMap<Long, LoadedVersion<S>>> next = new HashMap<>(serving);
    NavigableMap<Long, LoadedVersion<S>> versions = new TreeMap<>(next.get(name));
    LoadedVersion<S> lv = versions.remove(v);
    if (versions.isEmpty()) {
      next.remove(name);
    } else {
      next.put(name, Collections.unmodifiableNavigableMap(versions));
    }
    serving = Map.copyOf(next);
    transition(ServableStatus.ok(lv.id(), ServableState.UNLOADING));
    lv.release();
  }

  private void unloadAll(String name) {
    NavigableMap<Long, LoadedVersion<S>> current = serving.get(name);
    if (current != null) {
      for (Long v : new ArrayList<>(current.keySet())) {
        retire(name, v);
      }
    }
  }

  private void unloadNow(LoadedVersion<S> lv) {
    try {
      loader.unload(lv.id(), lv.servable());
      transition(ServableStatus.ok(lv.id(), ServableState.END));
    } catch (Exception | LinkageError ex) {
      String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
      transition(new ServableStatus(lv.id(), ServableState.END, Optional.of("unload: " + msg)));
    }
  }

  private void transition(ServableStatus s) {
    statuses
        .computeIfAbsent(s.id().name(), n -> new ConcurrentSkipListMap<>(Collections.reverseOrder()))
        .put(s.version(), s);
    switch (s.state()) {
      case AVAILABLE ->
          LOG.log(System.Logger.Level.INFO, "Successfully loaded servable version " + s.id());
      case END ->
          LOG.log(
              s.error().isPresent() ? System.Logger.Level.ERROR : System.Logger.Level.INFO,
              s.error().isPresent()
                  ? "Failed to load servable version " + s.id() + ": " + s.error().get()
                  : "Done unloading servable version " + s.id());
      default -> {}
    }
    try {
      listener.accept(s);
    } catch (RuntimeException ex) {
      LOG.log(System.Logger.Level.WARNING, "state listener failed: " + ex, ex);
    }
  }

  private String labelError(ModelEntry e) {
    for (Map.Entry<String, Long> l : e.config.versionLabels().entrySet()) {
      if (!isServing(e.config.name(), l.getValue())) {
        return "Request to assign label to version "
            + l.getValue()
            + " of model "
            + e.config.name()
            + ", which is not currently available for inference";
      }
    }
    return null;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the model manager is closed");
    }
  }

  /** Stops polling and unloads every version (after the requests using them finish). */
  @Override
  public void close() {
    ScheduledExecutorService p;
    ScheduledExecutorService r;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      p = poller;
      r = retrier;
      for (String name : new ArrayList<>(serving.keySet())) {
        unloadAll(name);
      }
      models.clear();
    }
    if (p != null) {
      p.shutdownNow();
    }
    if (r != null) {
      r.shutdownNow();
      pendingRetries.set(0);
    }
  }
}
