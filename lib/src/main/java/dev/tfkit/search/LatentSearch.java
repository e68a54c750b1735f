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
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.io.DecodeRaw;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The seed's latent-search model: a SavedModel that returns the {@code k} gallery embeddings
 * nearest (L2) to each query, with their indices and file names.
 *
 * <p>Inputs {@code target_latent} (float [B, D]) and {@code k_num} (int32 scalar); outputs {@code
 * xvals} (negated L2 distances, nearest first), {@code indices} (int32 [B, k]) and {@code
 * filenames} (string [B, k]). The embeddings (raw little-endian float32) and names (one per line)
 * ship as assets: the init op reads the embeddings with ReadFile/DecodeRaw into a variable and
 * precomputes their squared norms, and a text-file table maps indices to names — so {@code
 * saved_model.pb} stays tiny whatever the gallery size, and every path comes from a tensor the
 * loader feeds (no init race). Distances use ‖x‖² − 2x·y + ‖y‖²: rows are ranked by x·y − ½‖y‖²
 * (one MatMul and one BiasAdd per batch, norms precomputed) and only the k winners are turned back
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
  private int chunkRows = DEFAULT_CHUNK_ROWS;

  /** Gallery rows scored per chunk (see {@link #chunkRows(int)}). */
  public static final int DEFAULT_CHUNK_ROWS = 16384;

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
   * Scores the gallery in chunks of this many rows (default 16384) and merges the chunks' top k,
   * which keeps each chunk's [B, chunk] scores in cache for large batches; results are the same.
   */
  public LatentSearch chunkRows(int chunkRows) {
    if (chunkRows <= 0) throw new IllegalArgumentException("chunkRows must be positive, got " + chunkRows);
    this.chunkRows = chunkRows;
    return this;
  }

  public int rows() {
    return rows;
  }

  public int dim() {
    return dim;
  }

  /** The search graph (assets read from {@code latents_path} and {@code names_path}). */
  public GraphDef graphDef() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var latentsPath = tf.withName("latents_path").constant(LATENTS_ASSET);
      var namesPath = tf.withName("names_path").constant(NAMES_ASSET);

      // Gallery and its squared norms: variables computed by the init op from the asset.
      var gallery = tf.withName("gallery").variable(Shape.of(rows, dim), TFloat32.class);
      var raw = tf.io.decodeRaw(tf.io.readFile(latentsPath), TFloat32.class, DecodeRaw.littleEndian(true));
      var loaded = tf.withName("gallery_init").assign(gallery, tf.reshape(raw, tf.constant(new long[] {rows, dim})), Assign.validateShape(true));
      // −½‖y‖² per row, so that score = x·y − ½‖y‖² ranks rows nearest first with one BiasAdd.
      var halfNorms = tf.withName("gallery_neg_half_sqnorm").variable(Shape.of(rows), TFloat32.class);
      var nh = tf.math.mul(tf.reduceSum(tf.math.square(loaded), tf.constant(1)), tf.constant(-0.5f));
      tf.withName("gallery_neg_half_sqnorm_init").assign(halfNorms, nh, Assign.validateShape(true));

      var table = tf.withName("names_table").hashTable(TInt64.class, TString.class);
      // key -1: the line number; value -2: the whole line.
      tf.withName("names_table_init").initializeTableFromTextFile(table, namesPath, -1L, -2L);

      var target = tf.withName(TARGET_LATENT).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, dim)));
      var kNum = tf.withName(K_NUM).placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
      // ‖x − y‖² = ‖x‖² − 2·(x·y − ½‖y‖²): rank by the score (MatMul + BiasAdd), then turn only
      // the k winners back into distances.
      var xx = tf.reduceSum(tf.math.square(target), tf.constant(1), ReduceSum.keepDims(true)); // [B,1]
      var k = tf.math.minimum(kNum, tf.constant(rows));
      TopKResult top;
      if (rows <= chunkRows) {
        var score = tf.nn.biasAdd(tf.linalg.matMul(target, gallery, MatMul.transposeB(true)), halfNorms); // [B,N]
        var t = tf.nn.topK(score, k, new org.tensorflow.op.nn.TopK.Options[0]);
        top = new TopKResult(t.values(), t.indices());
      } else {
        // Cache-sized chunks of the gallery: score and TopK each chunk (its [B, chunk] scores stay
        // in cache), then TopK over the chunk winners. Exact: each overall winner wins its chunk.
        List<Operand<TFloat32>> vals = new java.util.ArrayList<>();
        List<Operand<TInt32>> idxs = new java.util.ArrayList<>();
        for (int start = 0; start < rows; start += chunkRows) {
          int len = Math.min(chunkRows, rows - start);
          var gc = tf.slice(gallery, tf.constant(new int[] {start, 0}), tf.constant(new int[] {len, dim}));
          var hc = tf.slice(halfNorms, tf.constant(new int[] {start}), tf.constant(new int[] {len}));
          var sc = tf.nn.biasAdd(tf.linalg.matMul(target, gc, MatMul.transposeB(true)), hc);
          var t = tf.nn.topK(sc, tf.math.minimum(kNum, tf.constant(len)), new org.tensorflow.op.nn.TopK.Options[0]);
          vals.add(t.values());
          idxs.add(tf.math.add(t.indices(), tf.constant(start)));
        }
        var allVals = tf.concat(vals, tf.constant(1));
        var allIdx = tf.concat(idxs, tf.constant(1));
        var t = tf.nn.topK(allVals, k, new org.tensorflow.op.nn.TopK.Options[0]);
        var picked = tf.gather(allIdx, t.indices(), tf.constant(1), org.tensorflow.op.core.Gather.batchDims(1L));
        top = new TopKResult(t.values(), picked);
      }
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
    return SavedModelExport.from(graphDef())
        .asset("latents_path", latents)
        .asset("names_path", names)
        .initOp("gallery_init")
        .initOp("gallery_neg_half_sqnorm_init")
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
