import ArgumentParser
import Foundation
import MailgateProto
import SwiftProtobuf

/// `mailgate proto`: the contract this build speaks, for generating a client in any language.
struct ProtoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proto",
        abstract: "Print the compiled contract (a FileDescriptorSet) or its services and methods.",
        discussion: """
            --descriptor-set writes proto/mailgate/v1 and its imports as a serialized
            google.protobuf.FileDescriptorSet, which protoc and buf take as input
            (`protoc --descriptor_set_in=mailgate.pb --go_out=. mailgate/v1/mailer.proto`).
            Without it, lists the files, services and methods.
            """
    )

    @Flag(help: "Write the FileDescriptorSet (binary) instead of the list.")
    var descriptorSet = false

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        guard let data = Data(base64Encoded: ContractDescriptorSet.base64, options: .ignoreUnknownCharacters) else {
            throw CLIError("The embedded contract is damaged; rebuild mailgate.")
        }
        let bytes: Data
        if self.descriptorSet {
            bytes = data
        } else {
            let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: data)
            var text = ""
            for file in set.file where file.name.hasPrefix("mailgate/") {
                text += "\(file.name)\n"
                for service in file.service {
                    for method in service.method {
                        text += "  /\(file.package).\(service.name)/\(method.name)"
                        text += "  \(method.inputType.dropFirst()) -> \(method.outputType.dropFirst())\n"
                    }
                }
            }
            bytes = Data(text.utf8)
        }
        if let output = self.output {
            try bytes.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(bytes)
        }
    }
}
