package dev.tfkit.bench;

import dev.tfkit.io.TempSiblings;
import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.search.LatentSearch;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Latent search (the walkthrough's top-k model) through TensorFlow's runtime, single query and batches of
 * 64, beside the baseline: one plain Java pass over the same gallery floats (L2 distance to every
 * row, top-k kept in a small array) for one query, measured in the same run.
 *
 * <p>Run: {@code java -cp ... org.openjdk.jmh.Main LatentSearchBench} (see docs/bench-savedmodel.md).
 * {@code -p rows=N} scales the gallery down when memory is short.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
public class LatentSearchBench {
  @Param({"100000"})
  public int rows;

  @Param({"128", "1024"})
  public int dim;

  static final int K = 10;

  private Path tmp;
  private SavedModel model;
  private float[] gallery; // row-major, rows x dim
  private float[] query;
  private TFloat32 single;
  private TFloat32 batch64;
  private TInt32 k;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Random r = new Random(1);
    gallery = new float[rows * dim];
    for (int i = 0; i < gallery.length; i++) gallery[i] = (float) r.nextGaussian();
    tmp = Files.createTempDirectory("tfkit-bench-latents-");
    Path lat = tmp.resolve("latents.bin");
    try (OutputStream o = Files.newOutputStream(lat)) {
      ByteBuffer bb = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < rows; i++) {
        bb.clear();
        bb.asFloatBuffer().put(gallery, i * dim, dim);
        o.write(bb.array());
      }
    }
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < rows; i++) names.append("img_").append(i).append(".jpg\n");
    Path nm = Files.writeString(tmp.resolve("names.txt"), names);
    Path dir = LatentSearch.fromFiles(lat, dim, nm).exportTo(tmp.resolve("model"));
    model = SavedModel.load(dir);
    query = new float[dim];
    for (int j = 0; j < dim; j++) query[j] = (float) r.nextGaussian();
    float[] q64 = new float[64 * dim];
    for (int j = 0; j < q64.length; j++) q64[j] = (float) r.nextGaussian();
    single = TFloat32.tensorOf(Shape.of(1, dim), DataBuffers.of(query, true, false));
    batch64 = TFloat32.tensorOf(Shape.of(64, dim), DataBuffers.of(q64, true, false));
    k = TInt32.scalarOf(K);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    single.close();
    batch64.close();
    k.close();
    model.close();
    TempSiblings.deleteTree(tmp);
  }

  private void search(Tensor q, Blackhole bh) {
    try (SavedModel.Outputs out = model.run("serving_default", Map.of("target_latent", q, "k_num", k))) {
      bh.consume(out.get("indices"));
    }
  }

  /** One query through the SavedModel (TensorFlow's runtime). */
  @Benchmark
  public void tfSingleQuery(Blackhole bh) {
    search(single, bh);
  }

  /** 64 queries in one run; divide by 64 for the time per query. */
  @Benchmark
  public void tfBatch64(Blackhole bh) {
    search(batch64, bh);
  }

  /** Baseline: one plain Java pass over the same gallery floats for one query, top-k kept (dim % 4 == 0). */
  @Benchmark
  public void javaPass(Blackhole bh) {
    float[] g = gallery;
    float[] q = query;
    int d = dim;
    float[] best = new float[K];
    int[] bestIdx = new int[K];
    Arrays.fill(best, Float.MAX_VALUE);
    for (int i = 0, off = 0; i < rows; i++, off += d) {
      // Four accumulators: a plain loop, but not held back by one long add chain.
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int j = 0; j < d; j += 4) {
        float t0 = g[off + j] - q[j];
        float t1 = g[off + j + 1] - q[j + 1];
        float t2 = g[off + j + 2] - q[j + 2];
        float t3 = g[off + j + 3] - q[j + 3];
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
      }
      float s = (s0 + s1) + (s2 + s3);
      if (s < best[K - 1]) {
        int p = K - 1;
        while (p > 0 && best[p - 1] > s) {
          best[p] = best[p - 1];
          bestIdx[p] = bestIdx[p - 1];
          p--;
        }
        best[p] = s;
        bestIdx[p] = i;
      }
    }
    bh.consume(bestIdx);
  }
}
