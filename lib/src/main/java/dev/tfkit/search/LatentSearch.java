package dev.tfkit.search;

import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.io.DecodeRaw;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The Python walkthrough's latent-search model: a SavedModel that returns the {@code k} gallery embeddings
 * nearest (L2) to each query, with their indices and file names.
 *
 * <p>Inputs {@code target_latent} (float [B, D]) and {@code k_num} (int32 scalar); outputs {@code
 * xvals} (negated L2 distances, nearest first), {@code indices} (int32 [B, k]) and {@code
 * filenames} (string [B, k]). The embeddings (raw little-endian float32) and names (one per line)
 * ship as assets: the init op reads the embeddings with ReadFile/DecodeRaw into a variable and
 * precomputes their squared norms, and a text-file table maps indices to names — so {@code
 * saved_model.pb} stays tiny whatever the gallery size, and every path comes from a tensor the
 * loader feeds (no init race). Distances use ‖x‖² − 2x·y + ‖y‖²: rows are ranked by x·y − ½‖y‖²,
 * one MatMul per batch against the gallery stored with −½‖y‖² as an extra column; a grouped top-k
 * ({@link #groupSize(int)}) keeps the selection pass small, and only the k winners are turned back
 * into distances.
 */
public final class LatentSearch {
  /** Input: query embeddings, float [B, D]. */
  public static final String TARGET_LATENT = "target_latent";
  /** Input: how many neighbours, int32 scalar (clamped to the gallery size). */
  public static final String K_NUM = "k_num";
  /** Output: negated L2 distances, float [B, k], largest (nearest) first. */
  public static final String XVALS = "xvals";
  /** Output: gallery row numbers, int32 [B, k]. */
  public static final String INDICES = "indices";
  /** Output: the rows' names, string [B, k]. */
  public static final String FILENAMES = "filenames";
  /** File names of the two assets in the SavedModel's {@code assets/}. */
  public static final String LATENTS_ASSET = "latents.bin";
  public static final String NAMES_ASSET = "names.txt";

  private final Path latents;
  private final Path names;
  private final int rows;
  private final int dim;
  private final boolean ownsFiles;
  private int groupSize = DEFAULT_GROUP_SIZE;

  /** Gallery rows per top-k group (see {@link #groupSize(int)}). */
  public static final int DEFAULT_GROUP_SIZE = 32;

  private record TopKResult(Operand<TFloat32> values, Operand<TInt32> indices) {}

  private LatentSearch(Path latents, Path names, int rows, int dim, boolean ownsFiles) {
    this.latents = latents;
    this.names = names;
    this.rows = rows;
    this.dim = dim;
    this.ownsFiles = ownsFiles;
  }

  /**
   * A search over a raw little-endian float32 file of {@code dim}-wide rows and a names file with
   * one line per row. Refused (before anything is written) when the file size is not a multiple of
   * 4·dim or the line count differs from the row count; the message gives both numbers.
   */
  public static LatentSearch fromFiles(Path latents, int dim, Path names) {
    if (dim <= 0) throw new IllegalArgumentException("--dim must be positive, got " + dim);
    if (!Files.isRegularFile(latents)) throw new IllegalArgumentException("latents file " + latents + " not found");
    if (!Files.isRegularFile(names)) throw new IllegalArgumentException("names file " + names + " not found");
    long size;
    try {
      size = Files.size(latents);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + latents, e);
    }
    long rowBytes = 4L * dim;
    if (size == 0 || size % rowBytes != 0) {
      throw new IllegalArgumentException(
          "latents file " + latents + " has " + size + " bytes, which is not a positive multiple of 4·D = " + rowBytes + " (D = " + dim + ")");
    }
    long rows = size / rowBytes;
    if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("latents file " + latents + " has too many rows: " + rows);
    long lines = countLines(names);
    if (lines != rows) {
      throw new IllegalArgumentException(
          "names file " + names + " has " + lines + " lines but latents file " + latents + " has " + rows + " rows of D = " + dim);
    }
    return new LatentSearch(latents, names, (int) rows, dim, false);
  }

  /** A search over in-memory embeddings (all rows the same width) and one name per row. */
  public static LatentSearch fromEmbeddings(float[][] embeddings, List<String> names) {
    Objects.requireNonNull(embeddings, "embeddings");
    if (embeddings.length == 0) throw new IllegalArgumentException("no embeddings");
    int d = embeddings[0].length;
    if (d == 0) throw new IllegalArgumentException("embeddings have width 0");
    for (int i = 0; i < embeddings.length; i++) {
      if (embeddings[i].length != d) {
        throw new IllegalArgumentException("embedding row " + i + " has " + embeddings[i].length + " values, row 0 has " + d);
      }
    }
    if (names.size() != embeddings.length) {
      throw new IllegalArgumentException(names.size() + " names for " + embeddings.length + " embedding rows");
    }
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (n.indexOf('\n') >= 0 || n.indexOf('\r') >= 0) throw new IllegalArgumentException("name " + i + " contains a line break");
    }
    try {
      Path dir = Files.createTempDirectory("tfkit-latents-");
      Path lat = dir.resolve(LATENTS_ASSET);
      try (OutputStream o = Files.newOutputStream(lat)) {
        ByteBuffer row = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] r : embeddings) {
          row.clear();
          for (float v : r) row.putFloat(v);
          o.write(row.array());
        }
      }
      Path nm = dir.resolve(NAMES_ASSET);
      Files.writeString(nm, String.join("\n", names) + "\n", StandardCharsets.UTF_8);
      return new LatentSearch(lat, nm, embeddings.length, d, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the embeddings to a temporary file", e);
    }
  }

  private static long countLines(Path names) {
    try (BufferedReader r = Files.newBufferedReader(names, StandardCharsets.UTF_8)) {
      long n = 0;
      while (r.readLine() != null) n++;
      return n;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read names file " + names, e);
    }
  }

  /**
   * Rows per group in the top-k (default 32): each query's k best groups (by their best row) are
   * picked first, then its k best rows among those groups — the same answer as a top-k over every
   * row (each of the k nearest rows lies in one of the k groups with the best maxima), while the
   * full-width top-k pass runs over {@code rows / groupSize} group maxima only. 1 turns grouping off.
   */
  public LatentSearch groupSize(int groupSize) {
    if (groupSize <= 0) throw new IllegalArgumentException("groupSize must be positive, got " + groupSize);
    this.groupSize = groupSize;
    return this;
  }

  public int rows() {
    return rows;
  }

  public int dim() {
    return dim;
  }

  private static final TopK.Options[] SORTED = new TopK.Options[0];

  /**
   * Top k of {@code query · galleryᵀ} per query row. With grouping: the rows that fill whole groups
   * are scored in one MatMul, viewed as [B, groups, groupSize]; a ReduceMax gives each group's best
   * score, a TopK over those picks min(k, groups) groups, and a TopK over the picked groups' scores
   * (plus the few rows after the last whole group) gives the answer.
   */
  private TopKResult topK(
      Ops tf, Operand<TFloat32> query, Operand<TFloat32> gallery, Operand<TFloat32> galleryTail, Operand<TInt32> k) {
    int m = groupSize;
    int head = headRows();
    if (head == rows && !grouped()) {
      var score = tf.linalg.matMul(query, gallery, MatMul.transposeB(true)); // [B, N]
      var t = tf.nn.topK(score, k, SORTED);
      return new TopKResult(t.values(), t.indices());
    }
    int groups = head / m;
    var score = tf.linalg.matMul(query, gallery, MatMul.transposeB(true)); // [B, head]
    var grouped = tf.reshape(score, tf.constant(new int[] {-1, groups, m}));
    var best = tf.reduceMax(grouped, tf.constant(2)); // [B, groups]
    var g = tf.math.minimum(k, tf.constant(groups));
    var pickedGroups = tf.nn.topK(best, g, SORTED).indices(); // [B, g]
    // [B, g·m], spelled out rather than inferred from a -1.
    var batch = tf.slice(tf.shape(query), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    var candidates = tf.reshape(tf.math.mul(g, tf.constant(m)), tf.constant(new int[] {1}));
    var flat = tf.concat(List.of(batch, candidates), tf.constant(0));
    Operand<TFloat32> candVals = tf.reshape(tf.gather(grouped, pickedGroups, tf.constant(1), Gather.batchDims(1L)), flat); // [B, g·m]
    var offsets = tf.constant(new int[][] {range(0, m)}); // [1, m]
    Operand<TInt32> candIdx = tf.reshape(tf.math.add(tf.expandDims(tf.math.mul(pickedGroups, tf.constant(m)), tf.constant(2)), offsets), flat);
    if (galleryTail != null) {
      var tailScore = tf.linalg.matMul(query, galleryTail, MatMul.transposeB(true)); // [B, tail]
      var tailIdx = tf.math.add(tf.zerosLike(tf.dtypes.cast(tailScore, TInt32.class)), tf.constant(new int[][] {range(head, rows)}));
      candVals = tf.concat(List.of(candVals, tailScore), tf.constant(1));
      candIdx = tf.concat(List.of(candIdx, tailIdx), tf.constant(1));
    }
    var t = tf.nn.topK(candVals, k, SORTED);
    var idx = tf.gather(candIdx, t.indices(), tf.constant(1), Gather.batchDims(1L));
    return new TopKResult(t.values(), idx);
  }

  /** Whether the top-k is grouped (group size above 1 and at least two whole groups). */
  private boolean grouped() {
    return groupSize > 1 && rows / groupSize >= 2;
  }

  /** Rows in the main gallery variable: the whole groups when grouped, else every row. */
  private int headRows() {
    return grouped() ? (rows / groupSize) * groupSize : rows;
  }

  private static int[] range(int from, int to) {
    int[] r = new int[to - from];
    for (int i = 0; i < r.length; i++) r[i] = from + i;
    return r;
  }

  /** The search graph (assets read from {@code latents_path} and {@code names_path}). */
  public GraphDef graphDef() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var latentsPath = tf.withName("latents_path").constant(LATENTS_ASSET);
      var namesPath = tf.withName("names_path").constant(NAMES_ASSET);

      // The gallery, each row followed by −½‖y‖²: variables the init op fills from the asset, so
      // that with the query followed by 1 one MatMul gives score = x·y − ½‖y‖², which ranks rows
      // nearest first (‖x − y‖² = ‖x‖² − 2·score). With grouping, the rows after the last whole
      // group live in a second variable: slicing one variable per request would copy it.
      int head = headRows();
      int tail = rows - head;
      var raw = tf.io.decodeRaw(tf.io.readFile(latentsPath), TFloat32.class, DecodeRaw.littleEndian(true));
      var rowsD = tf.reshape(raw, tf.constant(new long[] {rows, dim}));
      var negHalfNorms = tf.math.mul(tf.reduceSum(tf.math.square(rowsD), tf.constant(1), ReduceSum.keepDims(true)), tf.constant(-0.5f));
      var scored = tf.concat(List.of(rowsD, negHalfNorms), tf.constant(1)); // [N, D+1]
      var gallery = tf.withName("gallery").variable(Shape.of(head, dim + 1L), TFloat32.class);
      tf.withName("gallery_init").assign(gallery,
          tail == 0 ? scored : tf.slice(scored, tf.constant(new int[] {0, 0}), tf.constant(new int[] {head, dim + 1})),
          Assign.validateShape(true));
      Operand<TFloat32> galleryTail = null;
      if (tail > 0) {
        var v = tf.withName("gallery_tail").variable(Shape.of(tail, dim + 1L), TFloat32.class);
        tf.withName("gallery_tail_init").assign(v,
            tf.slice(scored, tf.constant(new int[] {head, 0}), tf.constant(new int[] {tail, dim + 1})),
            Assign.validateShape(true));
        galleryTail = v;
      }

      var table = tf.withName("names_table").hashTable(TInt64.class, TString.class);
      // key -1: the line number; value -2: the whole line.
      tf.withName("names_table_init").initializeTableFromTextFile(table, namesPath, -1L, -2L);

      var target = tf.withName(TARGET_LATENT).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, dim)));
      var kNum = tf.withName(K_NUM).placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
      var xx = tf.reduceSum(tf.math.square(target), tf.constant(1), ReduceSum.keepDims(true)); // [B,1]
      var one = tf.onesLike(tf.slice(target, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, 1})));
      var query = tf.concat(List.of(target, one), tf.constant(1)); // [B, D+1]
      var k = tf.math.minimum(kNum, tf.constant(rows));
      TopKResult top = topK(tf, query, gallery, galleryTail, k);
      var d2 = tf.math.sub(xx, tf.math.mul(tf.constant(2f), top.values()));
      // Rounding can make a squared distance slightly negative: clamp before the square root.
      tf.withName(XVALS).math.neg(tf.math.sqrt(tf.math.maximum(d2, tf.constant(0f))));
      tf.withName(INDICES).identity(top.indices());
      tf.withName(FILENAMES).lookupTableFind(table, tf.dtypes.cast(top.indices(), TInt64.class), tf.constant(""));
      return g.toGraphDef();
    }
  }

  /** An exporter for the search model (signature {@code serving_default}), ready for a folder or version. */
  public SavedModelExport exporter() {
    SavedModelExport e = SavedModelExport.from(graphDef())
        .asset("latents_path", latents)
        .asset("names_path", names)
        .initOp("gallery_init");
    if (headRows() < rows) {
      e.initOp("gallery_tail_init");
    }
    return e
        .signature(
            SignatureSpec.predict()
                .input(TARGET_LATENT, TARGET_LATENT)
                .input(K_NUM, K_NUM)
                .output(XVALS, XVALS)
                .output(INDICES, INDICES)
                .output(FILENAMES, FILENAMES));
  }

  /** Exports the search model into exactly {@code dir}. */
  public Path exportTo(Path dir) {
    try {
      return exporter().exportTo(dir);
    } finally {
      cleanUp();
    }
  }

  /** Exports the search model into {@code base/<next version>}. */
  public Path exportVersion(Path base) {
    try {
      return exporter().exportVersion(base);
    } finally {
      cleanUp();
    }
  }

  private void cleanUp() {
    if (!ownsFiles) return;
    try {
      Files.deleteIfExists(latents);
      Files.deleteIfExists(names);
      Files.deleteIfExists(latents.getParent());
    } catch (IOException e) {
      // A leftover temp file is harmless.
    }
  }
}
