"""The `vcf` Pulumi package for every language: the schema from the model, and the provider plugin serving it.

`python -m vcf_provider.package` is the plugin (what `plugin/__main__.py` starts);
`python -m vcf_provider.package --schema` prints the schema.
"""
