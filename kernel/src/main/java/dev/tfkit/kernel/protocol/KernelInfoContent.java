package dev.tfkit.kernel.protocol;

import io.github.spencerpark.jupyter.messages.ContentType;
import io.github.spencerpark.jupyter.messages.MessageType;
import java.util.List;
import java.util.Map;

/**
 * A kernel_info_reply's content with every field the protocol requires (basekernel's own reply
 * lacks {@code status}, which Jupyter's message schema checks).
 */
@SuppressWarnings({"unused", "FieldCanBeLocal"}) // fields are serialized by Gson under these names
public final class KernelInfoContent implements ContentType<KernelInfoContent> {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final MessageType<KernelInfoContent> TYPE = (MessageType) MessageType.KERNEL_INFO_REPLY;

  private final String status = "ok";
  private final String protocol_version;
  private final String implementation;
  private final String implementation_version;
  private final Map<String, String> language_info;
  private final String banner;
  private final List<Object> help_links = List.of();

  public KernelInfoContent(String protocolVersion, String implementation, String implementationVersion,
      Map<String, String> languageInfo, String banner) {
    this.protocol_version = protocolVersion;
    this.implementation = implementation;
    this.implementation_version = implementationVersion;
    this.language_info = languageInfo;
    this.banner = banner;
  }

  @Override
  public MessageType<KernelInfoContent> getType() {
    return TYPE;
  }
}
