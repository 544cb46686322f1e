"""Write the malformed input files that tests/test_bad_inputs.py feeds to vcfml.

Kept as files (not built inside the tests) so a person can open each one and
see exactly what is wrong with it. Run from anywhere: ``python make_bad_inputs.py``.
"""

from pathlib import Path

from pysam.libcbgzf import BGZFile

HERE = Path(__file__).resolve().parent / "bad"
META = """##fileformat=VCFv4.3
##contig=<ID=chr1,length=1000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
"""
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\n"
GOOD_RECORD = "chr1\t10\trs1\tA\tG\t.\tPASS\t.\tGT\t0/1\t0/0\t1/1\n"


def record(pos: int, *calls: str, fmt: str = "GT") -> str:
    return "\t".join(["chr1", str(pos), f"rs{pos}", "A", "G", ".", "PASS", ".", fmt, *calls]) + "\n"


FILES = {
    "not_a_vcf.vcf": "sample_id\tphenotype\ns1\t1\n",
    "empty.vcf": "",
    "missing_chrom_header.vcf": META + GOOD_RECORD,
    "wrong_column_count.vcf": META + COLUMNS + GOOD_RECORD + record(20, "0/1", "0/0"),
    "no_gt_in_format.vcf": META + COLUMNS + record(10, "12", "30", "25", fmt="DP"),
    "duplicate_sample_ids.vcf": META + COLUMNS.replace("s3", "s1") + GOOD_RECORD,
    "bad_position.vcf": META + COLUMNS + GOOD_RECORD.replace("\t10\t", "\tten\t"),
}
SAMPLES = {
    "samples_missing_vcf_sample.tsv": "sample_id\tsex\tphenotype\ns1\tmale\t1\ns2\tfemale\t0\n",
    "samples_extra_sample.tsv": (
        "sample_id\tsex\tphenotype\ns1\tmale\t1\ns2\tfemale\t0\ns3\tmale\t0\ns4\tfemale\t1\n"
    ),
    "samples_three_values.tsv": "sample_id\tsex\tphenotype\ns1\tmale\t1\ns2\tfemale\t0\ns3\tmale\t2\n",
    "samples_missing_target.tsv": "sample_id\tsex\tphenotype\ns1\tmale\t1\ns2\tfemale\t\ns3\tmale\t0\n",
    "samples_duplicate_ids.tsv": "sample_id\tsex\tphenotype\ns1\tmale\t1\ns1\tfemale\t0\ns3\tmale\t0\n",
    "samples_no_id_column.tsv": "name\tsex\tphenotype\ns1\tmale\t1\ns2\tfemale\t0\ns3\tmale\t0\n",
    "samples_comma_separated.tsv": "sample_id,sex,phenotype\ns1,male,1\ns2,female,0\ns3,male,0\n",
    "samples_blank.tsv": "  \n\n   \n",
    "samples_text_in_age.tsv": ("sample_id\tage\tphenotype\ns1\t41\t1\ns2\tforty\t0\ns3\t37\t0\n"),
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, text in {**FILES, **SAMPLES}.items():
        (HERE / name).write_text(text)
    good = HERE / "good.vcf"
    good.write_text(META + COLUMNS + GOOD_RECORD + record(20, "0/0", "0/1", "./."))
    (HERE / "good_samples.tsv").write_text(
        "sample_id\tsex\tphenotype\ns1\tmale\t1\ns2\tfemale\t0\ns3\tmale\t0\n"
    )
    # A bgzip file cut in the middle, as an interrupted download leaves it.
    body = (
        META + COLUMNS + "".join(record(p, "0/1", "0/0", "1/1") for p in range(1, 400))
    ).encode()
    full = HERE / "complete.vcf.gz"
    with BGZFile(str(full), "wb") as handle:
        handle.write(body)
    data = full.read_bytes()
    (HERE / "truncated.vcf.gz").write_bytes(data[: len(data) // 2])
    full.unlink()


if __name__ == "__main__":
    main()
