package dev.tfkit.server.api;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counts and latency histograms per model and API, written in the Prometheus text format
 * under TF Serving's metric names ({@code :tensorflow:serving:request_count}, {@code
 * :tensorflow:serving:request_latency}, latencies in microseconds).
 */
public final class Metrics {
  /** Upper bounds of the latency buckets, in microseconds. */
  static final double[] BUCKETS_US = {
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000
  };

  private record Key(String model, String api) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = model.compareTo(o.model);
      return c != 0 ? c : api.compareTo(o.api);
    }
  }

  private static final class Series {
    final LongAdder ok = new LongAdder();
    final LongAdder failed = new LongAdder();
    final AtomicLongArray buckets = new AtomicLongArray(BUCKETS_US.length);
    final LongAdder count = new LongAdder();
    final DoubleAdder sumUs = new DoubleAdder();
  }

  private final Map<Key, Series> series = new ConcurrentHashMap<>();

  /** Counts one request and its latency. */
  public void record(String model, String api, boolean ok, long nanos) {
    Series s = series.computeIfAbsent(new Key(model, api), k -> new Series());
    (ok ? s.ok : s.failed).increment();
    double us = nanos / 1000.0;
    for (int i = 0; i < BUCKETS_US.length; i++) {
      if (us <= BUCKETS_US[i]) {
        s.buckets.incrementAndGet(i);
        break;
      }
    }
    s.count.increment();
    s.sumUs.add(us);
  }

  /** Requests counted for a model and API with the given outcome. */
  public long count(String model, String api, boolean ok) {
    Series s = series.get(new Key(model, api));
    return s == null ? 0 : (ok ? s.ok : s.failed).sum();
  }

  /** The Prometheus text exposition of every series. */
  public String prometheusText() {
    StringBuilder sb = new StringBuilder();
    Map<Key, Series> sorted = new TreeMap<>(series);
    sb.append("# TYPE :tensorflow:serving:request_count counter\n");
    sorted.forEach(
        (k, s) -> {
          String labels = "model_name=\"" + esc(k.model()) + "\",API=\"" + esc(k.api()) + "\"";
          sb.append(":tensorflow:serving:request_count{").append(labels).append(",status=\"OK\"} ")
              .append(s.ok.sum()).append('\n');
          if (s.failed.sum() > 0) {
            sb.append(":tensorflow:serving:request_count{").append(labels)
                .append(",status=\"ERROR\"} ").append(s.failed.sum()).append('\n');
          }
        });
    sb.append("# TYPE :tensorflow:serving:request_latency histogram\n");
    sorted.forEach(
        (k, s) -> {
          String labels = "model_name=\"" + esc(k.model()) + "\",API=\"" + esc(k.api()) + "\"";
          long cumulative = 0;
          for (int i = 0; i < BUCKETS_US.length; i++) {
            cumulative += s.buckets.get(i);
            sb.append(":tensorflow:serving:request_latency_bucket{").append(labels)
                .append(",le=\"").append(fmt(BUCKETS_US[i])).append("\"} ").append(cumulative).append('\n');
          }
          long total = s.count.sum();
          sb.append(":tensorflow:serving:request_latency_bucket{").append(labels)
              .append(",le=\"+Inf\"} ").append(total).append('\n');
          sb.append(":tensorflow:serving:request_latency_sum{").append(labels).append("} ")
              .append(s.sumUs.sum()).append('\n');
          sb.append(":tensorflow:serving:request_latency_count{").append(labels).append("} ")
              .append(total).append('\n');
        });
    return sb.toString();
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private static String esc(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
