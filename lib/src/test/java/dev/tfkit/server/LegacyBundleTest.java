package dev.tfkit.server;

import static dev.tfkit.server.Protos.*;
import static dev.tfkit.testing.TestTensors.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import dev.tfkit.savedmodel.LegacySignatures;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.zoo.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.Manifest.ClassificationSignature;
import tensorflow.serving.Manifest.GenericSignature;
import tensorflow.serving.Manifest.RegressionSignature;
import tensorflow.serving.Manifest.Signature;
import tensorflow.serving.Manifest.Signatures;
import tensorflow.serving.Manifest.TensorBinding;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * Legacy SessionBundle exports (export.meta + sharded V1 checkpoint) serve with their signatures
 * up-converted as TF Serving 1.x did (open-source TF Serving 2.x refuses the format).
 */
class LegacyBundleTest {
  private static ModelSpec spec(String signature) {
    return ModelSpec.newBuilder().setName("legacy").setSignatureName(signature).build();
  }

  @Test
  void sessionBundleServesItsUpConvertedSignatures() throws Exception {
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("legacy", Fixtures.tfServing("session_bundle_half_plus_two"))
            .grpcPort(0)
            .noRest()
            .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict();
        SignatureDefMap sigs =
            stub.getModelMetadata(
                    GetModelMetadataRequest.newBuilder()
                        .setModelSpec(ModelSpec.newBuilder().setName("legacy"))
                        .addMetadataField("signature_def")
                        .build())
                .getMetadataOrThrow("signature_def")
                .unpack(SignatureDefMap.class);
        assertThat(sigs.getSignatureDefMap()).containsOnlyKeys("serving_default", "serving_default_from_named");
        SignatureDef regress = sigs.getSignatureDefOrThrow("serving_default");
        assertThat(regress.getMethodName()).isEqualTo("tensorflow/serving/regress");
        assertThat(regress.getInputsOrThrow("inputs").getDtype()).isEqualTo(DataType.DT_STRING);
        SignatureDef predict = sigs.getSignatureDefOrThrow("serving_default_from_named");
        assertThat(predict.getMethodName()).isEqualTo("tensorflow/serving/predict");
        assertThat(predict.getInputsOrThrow("x").getName()).isEqualTo("x:0");
        assertThat(predict.getOutputsOrThrow("y").getDtype()).isEqualTo(DataType.DT_FLOAT);

        var y = stub.predict(
            PredictRequest.newBuilder()
                .setModelSpec(spec("serving_default_from_named"))
                .putInputs("x", floats(new long[] {3}, 1f, 2f, 5f))
                .build());
        assertThat(y.getOutputsOrThrow("y").getFloatValList()).containsExactly(2.5f, 3f, 4.5f);
        var r = stub.regress(
            RegressionRequest.newBuilder()
                .setModelSpec(spec(""))
                .setInput(examples(example("x", 6f), example("x", -2f)))
                .build());
        assertThat(r.getResult().getRegressionsList()).extracting(g -> g.getValue()).containsExactly(5f, 1f);
      }
    }
  }

  private static TensorBinding t(String name) {
    return TensorBinding.newBuilder().setTensorName(name).build();
  }

  private static MetaGraphDef meta(Signatures s, Map<String, SignatureDef> existing) {
    return MetaGraphDef.newBuilder()
        .putAllSignatureDef(existing)
        .putCollectionDef(
            LegacySignatures.SIGNATURES_COLLECTION,
            CollectionDef.newBuilder()
                .setAnyList(CollectionDef.AnyList.newBuilder().addValue(Any.pack(s)))
                .build())
        .build();
  }

  @Test
  void conversionFollowsTfServingsRules() {
    Signatures s =
        Signatures.newBuilder()
            .setDefaultSignature(Signature.newBuilder().setClassificationSignature(
                ClassificationSignature.newBuilder().setInput(t("ex:0")).setClasses(t("cls:0")).setScores(t("sc:0"))))
            .putNamedSignatures("inputs", Signature.newBuilder().setGenericSignature(
                GenericSignature.newBuilder().putMap("a", t("a:0")).putMap("b", t("b:0"))).build())
            .putNamedSignatures("outputs", Signature.newBuilder().setGenericSignature(
                GenericSignature.newBuilder().putMap("z", t("z:1"))).build())
            .putNamedSignatures("price", Signature.newBuilder().setRegressionSignature(
                RegressionSignature.newBuilder().setInput(t("ex:0")).setOutput(t("p:0"))).build())
            .build();
    Map<String, SignatureDef> out =
        LegacySignatures.signatureDefs(meta(s, Map.of()), name -> name.equals("z:1") ? DataType.DT_INT64 : null);
    assertThat(out).containsOnlyKeys("serving_default", "serving_default_from_named", "price");
    assertThat(out.get("serving_default").getMethodName()).isEqualTo("tensorflow/serving/classify");
    assertThat(out.get("serving_default").getOutputsMap()).containsOnlyKeys("classes", "scores");
    assertThat(out.get("serving_default_from_named").getInputsMap()).containsOnlyKeys("a", "b");
    assertThat(out.get("serving_default_from_named").getOutputsOrThrow("z").getDtype()).isEqualTo(DataType.DT_INT64);
    assertThat(out.get("price").getMethodName()).isEqualTo("tensorflow/serving/regress");

    // Only generic inputs/outputs: the predict signature becomes the default; an existing
    // SignatureDef under a key is kept as it is.
    Signatures only = s.toBuilder().clearDefaultSignature().build();
    SignatureDef mine = SignatureDef.newBuilder().setMethodName("mine").build();
    Map<String, SignatureDef> kept = LegacySignatures.signatureDefs(meta(only, Map.of("price", mine)), n -> null);
    assertThat(kept).containsOnlyKeys("serving_default", "price");
    assertThat(kept.get("serving_default").getMethodName()).isEqualTo("tensorflow/serving/predict");
    assertThat(kept.get("price")).isEqualTo(mine);
  }

  @Test
  void aCollectionOfTheWrongTypeIsNamed() {
    MetaGraphDef bad =
        MetaGraphDef.newBuilder()
            .putCollectionDef(
                LegacySignatures.SIGNATURES_COLLECTION,
                CollectionDef.newBuilder()
                    .setAnyList(CollectionDef.AnyList.newBuilder().addValue(Any.pack(t("x:0"))))
                    .build())
            .build();
    assertThatThrownBy(() -> LegacySignatures.signatureDefs(bad, n -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serving_signatures")
        .hasMessageContaining("TensorBinding");
  }
}
