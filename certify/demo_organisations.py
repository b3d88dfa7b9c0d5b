"""The demo's ISSPs: organisations in the places impact sourcing happens (Nairobi, rural
India, Kathmandu, Lagos, Dhaka, Lima, Kampala), each with its sites and first member."""

from __future__ import annotations

from dataclasses import dataclass

from certify.accounts.operations import SiteData


@dataclass(frozen=True)
class DemoIssp:
    legal_name: str
    country: str
    registration_number: str
    website: str
    sites: list[SiteData]
    member: tuple[str, str]  # e-mail, full name


ISSPS: list[DemoIssp] = [
    DemoIssp(
        legal_name="Nairobi DataWorks",
        country="KE",
        registration_number="PVT-2019-4471",
        website="https://nairobi-dataworks.example",
        sites=[
            SiteData("Kibera Delivery Centre", "Olympic Estate Road, Kibera, Nairobi", "KE"),
            SiteData("Westlands Office", "Woodvale Grove 12, Westlands, Nairobi", "KE"),
        ],
        member=("amina@nairobi-dataworks.demo", "Amina Wanjiku"),
    ),
    DemoIssp(
        legal_name="RuralShore Services",
        country="IN",
        registration_number="U72900KA2015PTC081234",
        website="https://ruralshore.example",
        sites=[SiteData("Mandya Centre", "KR Road 4, Mandya, Karnataka 571401", "IN")],
        member=("priya@ruralshore.demo", "Priya Raghavan"),
    ),
    DemoIssp(
        legal_name="Himal Digital",
        country="NP",
        registration_number="NP-CRO-155821",
        website="https://himal-digital.example",
        sites=[SiteData("Patan Studio", "Mangal Bazaar, Lalitpur 44700", "NP")],
        member=("bishnu@himal-digital.demo", "Bishnu Gurung"),
    ),
    DemoIssp(
        legal_name="Lagos Data Collective",
        country="NG",
        registration_number="RC-1498877",
        website="https://lagos-datacollective.example",
        sites=[SiteData("Yaba Hub", "Herbert Macaulay Way 294, Yaba, Lagos", "NG")],
        member=("tunde@lagos-datacollective.demo", "Tunde Adebayo"),
    ),
    DemoIssp(
        legal_name="Dhaka Digital Works",
        country="BD",
        registration_number="C-171234/2021",
        website="https://dhaka-digital.example",
        sites=[SiteData("Mirpur Centre", "Road 10, Section 6, Mirpur, Dhaka 1216", "BD")],
        member=("farhana@dhaka-digital.demo", "Farhana Akter"),
    ),
    DemoIssp(
        legal_name="Accra Insight Hub",
        country="GH",
        registration_number="CS-204455-2018",
        website="https://accra-insight.example",
        sites=[SiteData("Osu Centre", "Oxford Street 18, Osu, Accra", "GH")],
        member=("kofi@accra-insight.demo", "Kofi Mensah"),
    ),
    DemoIssp(
        legal_name="Kigali Micro Studio",
        country="RW",
        registration_number="RDB-108877312",
        website="https://kigali-micro.example",
        sites=[SiteData("Kimihurura Studio", "KG 7 Ave 21, Kimihurura, Kigali", "RW")],
        member=("eric@kigali-micro.demo", "Eric Mugisha"),
    ),
    DemoIssp(
        legal_name="Andes Contact Center",
        country="PE",
        registration_number="20601234567",
        website="https://andes-contact.example",
        sites=[
            SiteData("Villa El Salvador Hub", "Av. Revolución 1450, Villa El Salvador, Lima", "PE")
        ],
        member=("lucia@andes-contact.demo", "Lucía Quispe"),
    ),
    DemoIssp(
        legal_name="Kampala Voice Works",
        country="UG",
        registration_number="UG-80020031552",
        website="https://kampala-voiceworks.example",
        sites=[SiteData("Katwe Studio", "Plot 14, Katwe Road, Kampala", "UG")],
        member=("grace@kampala-voiceworks.demo", "Grace Namutebi"),
    ),
    DemoIssp(
        legal_name="Kampala Impact Works",
        country="UG",
        registration_number="UG-80020001234",
        website="https://kampala-impact.example",
        sites=[
            SiteData("Nakawa Centre", "Plot 12, Port Bell Road, Nakawa, Kampala", "UG"),
            SiteData("Gulu Studio", "Churchill Drive 5, Gulu", "UG"),
        ],
        member=("grace@kampala-impact.demo", "Grace Atim"),
    ),
]
