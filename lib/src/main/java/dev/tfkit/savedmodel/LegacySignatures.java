package dev.tfkit.savedmodel;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import tensorflow.serving.Manifest.AssetFile;
import tensorflow.serving.Manifest.Signature;
import tensorflow.serving.Manifest.Signatures;

/**
 * Up-converts a legacy SessionBundle export ({@code export.meta} + checkpoint {@code export}) the
 * way TensorFlow Serving 1.x did before it dropped the format: the Any-packed {@code
 * tensorflow.serving.Signatures} of the {@code serving_signatures} collection become SignatureDefs
 * — a regression or classification default signature as {@code serving_default}; the generic
 * named signatures {@code inputs} and {@code outputs} together as a Predict signature ({@code
 * serving_default}, or {@code serving_default_from_named} when the default is taken); other
 * regression and classification named signatures under their names. TensorInfos carry the tensor
 * name and, where the graph knows it, the dtype. Also reads the {@code serving_init_op} and the
 * {@code serving_assets} the export's loader must run and feed.
 */
public final class LegacySignatures {
  public static final String SIGNATURES_COLLECTION = "serving_signatures";
  public static final String INIT_OP_COLLECTION = "serving_init_op";
  public static final String ASSETS_COLLECTION = "serving_assets";
  static final String DEFAULT_KEY = "serving_default";

  private LegacySignatures() {}

  /** Whether {@code meta} carries legacy signatures. */
  public static boolean present(MetaGraphDef meta) {
    return meta.getCollectionDefMap().containsKey(SIGNATURES_COLLECTION);
  }

  /**
   * The SignatureDefs of {@code meta}: its own, plus the up-converted legacy ones under keys it
   * does not use yet.
   *
   * @param dtypeOf a tensor's dtype ({@code node:index}), or null when unknown
   * @throws IllegalArgumentException when the collection does not hold {@code Signatures}
   */
  public static Map<String, SignatureDef> signatureDefs(MetaGraphDef meta, Function<String, DataType> dtypeOf) {
    Map<String, SignatureDef> out = new LinkedHashMap<>(meta.getSignatureDefMap());
    if (!present(meta)) {
      return out;
    }
    Signatures s = signatures(meta);
    if (s.hasDefaultSignature() && !out.containsKey(DEFAULT_KEY)) {
      Signature d = s.getDefaultSignature();
      if (d.hasRegressionSignature() || d.hasClassificationSignature()) {
        out.put(DEFAULT_KEY, convert(d, dtypeOf));
      }
    }
    Map<String, Signature> named = s.getNamedSignaturesMap();
    Signature in = named.get("inputs");
    Signature outs = named.get("outputs");
    boolean predict = in != null && outs != null && in.hasGenericSignature() && outs.hasGenericSignature();
    if (predict) {
      SignatureDef.Builder p = SignatureDef.newBuilder().setMethodName(SignatureSpec.PREDICT_METHOD);
      for (var e : new TreeMap<>(in.getGenericSignature().getMapMap()).entrySet()) {
        p.putInputs(e.getKey(), info(e.getValue().getTensorName(), dtypeOf));
      }
      for (var e : new TreeMap<>(outs.getGenericSignature().getMapMap()).entrySet()) {
        p.putOutputs(e.getKey(), info(e.getValue().getTensorName(), dtypeOf));
      }
      out.putIfAbsent(out.containsKey(DEFAULT_KEY) ? DEFAULT_KEY + "_from_named" : DEFAULT_KEY, p.build());
    }
    for (var e : new TreeMap<>(named).entrySet()) {
      if (predict && (e.getKey().equals("inputs") || e.getKey().equals("outputs"))) {
        continue;
      }
      Signature sig = e.getValue();
      if (sig.hasRegressionSignature() || sig.hasClassificationSignature()) {
        out.putIfAbsent(e.getKey(), convert(sig, dtypeOf));
      }
    }
    return out;
  }

  /** The legacy init op's name ({@code serving_init_op}), run after the restore. */
  public static Optional<String> initOp(MetaGraphDef meta) {
    CollectionDef c = meta.getCollectionDefMap().get(INIT_OP_COLLECTION);
    if (c == null || c.getNodeList().getValueCount() == 0) {
      return Optional.empty();
    }
    return Optional.of(c.getNodeList().getValue(0));
  }

  /** Asset tensors ({@code node:index}) → file names under the export's {@code assets/}. */
  public static Map<String, String> assets(MetaGraphDef meta) {
    Map<String, String> out = new LinkedHashMap<>();
    CollectionDef c = meta.getCollectionDefMap().get(ASSETS_COLLECTION);
    if (c == null) {
      return out;
    }
    for (Any a : c.getAnyList().getValueList()) {
      try {
        AssetFile f = a.unpack(AssetFile.class);
        out.put(f.getTensorBinding().getTensorName(), f.getFilename());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(
            "collection " + ASSETS_COLLECTION + " holds " + a.getTypeUrl() + ", not tensorflow.serving.AssetFile", e);
      }
    }
    return out;
  }

  private static Signatures signatures(MetaGraphDef meta) {
    CollectionDef c = meta.getCollectionDefOrThrow(SIGNATURES_COLLECTION);
    if (c.getAnyList().getValueCount() != 1) {
      throw new IllegalArgumentException(
          "collection " + SIGNATURES_COLLECTION + " should hold one tensorflow.serving.Signatures, holds "
              + c.getAnyList().getValueCount() + " values");
    }
    Any a = c.getAnyList().getValue(0);
    try {
      return a.unpack(Signatures.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "collection " + SIGNATURES_COLLECTION + " holds " + a.getTypeUrl() + ", not tensorflow.serving.Signatures", e);
    }
  }

  private static SignatureDef convert(Signature s, Function<String, DataType> dtypeOf) {
    SignatureDef.Builder b = SignatureDef.newBuilder();
    if (s.hasRegressionSignature()) {
      var r = s.getRegressionSignature();
      b.setMethodName(SignatureSpec.REGRESS_METHOD);
      put(b, true, "inputs", r.getInput().getTensorName(), dtypeOf);
      put(b, false, "outputs", r.getOutput().getTensorName(), dtypeOf);
    } else {
      var c = s.getClassificationSignature();
      b.setMethodName(SignatureSpec.CLASSIFY_METHOD);
      put(b, true, "inputs", c.getInput().getTensorName(), dtypeOf);
      put(b, false, "classes", c.getClasses().getTensorName(), dtypeOf);
      put(b, false, "scores", c.getScores().getTensorName(), dtypeOf);
    }
    return b.build();
  }

  private static void put(SignatureDef.Builder b, boolean input, String key, String tensor, Function<String, DataType> dtypeOf) {
    if (tensor.isEmpty()) {
      return; // as TF Serving did: a binding without a tensor is left out
    }
    if (input) {
      b.putInputs(key, info(tensor, dtypeOf));
    } else {
      b.putOutputs(key, info(tensor, dtypeOf));
    }
  }

  private static TensorInfo info(String tensor, Function<String, DataType> dtypeOf) {
    TensorInfo.Builder t = TensorInfo.newBuilder().setName(tensor);
    DataType d = dtypeOf.apply(tensor);
    if (d != null) {
      t.setDtype(d);
    }
    return t.build();
  }
}
