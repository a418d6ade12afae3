"""Clinical vocabulary for the generator: conditions, drugs, procedures, findings.

Written for this project (no text copied from any corpus). Codes are real ICD-10-CM and
CPT shapes so extraction of codes can be measured; descriptions are plain English.
"""

from __future__ import annotations

# (description, ICD-10-CM)
CONDITIONS = [
    ("essential hypertension", "I10"), ("type 2 diabetes mellitus", "E11.9"),
    ("hyperlipidemia", "E78.5"), ("chronic obstructive pulmonary disease", "J44.9"),
    ("community-acquired pneumonia", "J18.9"), ("congestive heart failure", "I50.9"),
    ("atrial fibrillation", "I48.91"), ("acute kidney injury", "N17.9"),
    ("urinary tract infection", "N39.0"), ("cellulitis of the left lower leg", "L03.116"),
    ("acute appendicitis", "K35.80"), ("cholelithiasis", "K80.20"),
    ("osteoarthritis of the right knee", "M17.11"), ("low back pain", "M54.50"),
    ("major depressive disorder", "F32.9"), ("generalized anxiety disorder", "F41.1"),
    ("asthma", "J45.909"), ("gastroesophageal reflux disease", "K21.9"),
    ("hypothyroidism", "E03.9"), ("iron deficiency anemia", "D50.9"),
    ("chest pain, unspecified", "R07.9"), ("syncope", "R55"), ("migraine", "G43.909"),
    ("acute bronchitis", "J20.9"), ("benign prostatic hyperplasia", "N40.0"),
    ("obstructive sleep apnea", "G47.33"), ("chronic kidney disease stage 3", "N18.30"),
    ("closed fracture of the right distal radius", "S52.501A"), ("sepsis", "A41.9"),
    ("carpal tunnel syndrome", "G56.00"), ("inguinal hernia", "K40.90"),
    ("coronary artery disease", "I25.10"), ("dehydration", "E86.0"),
]

# (generic name, dose, route/frequency)
MEDICATIONS = [
    ("lisinopril", "10 mg", "by mouth daily"), ("metformin", "500 mg", "by mouth twice daily"),
    ("atorvastatin", "40 mg", "by mouth at bedtime"), ("aspirin", "81 mg", "by mouth daily"),
    ("metoprolol tartrate", "25 mg", "by mouth twice daily"),
    ("amlodipine", "5 mg", "by mouth daily"), ("levothyroxine", "75 mcg", "by mouth daily"),
    ("omeprazole", "20 mg", "by mouth daily"), ("albuterol inhaler", "2 puffs",
                                                 "every 4 hours as needed"),
    ("furosemide", "40 mg", "by mouth daily"), ("warfarin", "5 mg", "by mouth daily"),
    ("sertraline", "50 mg", "by mouth daily"),
    ("gabapentin", "300 mg", "by mouth three times daily"),
    ("ceftriaxone", "1 g", "intravenously every 24 hours"),
    ("acetaminophen", "650 mg", "by mouth every 6 hours as needed"),
    ("ibuprofen", "600 mg", "by mouth every 8 hours as needed"),
    ("insulin glargine", "20 units", "subcutaneously at bedtime"),
    ("prednisone", "20 mg", "by mouth daily for 5 days"),
    ("amoxicillin", "500 mg", "by mouth three times daily for 10 days"),
    ("ondansetron", "4 mg", "by mouth every 8 hours as needed"),
]

ALLERGIES = ["penicillin", "sulfa drugs", "codeine", "latex", "shellfish", "iodinated contrast",
             "no known drug allergies"]

# (procedure, CPT, kind) kind: surgery | endoscopy | bedside
PROCEDURES = [
    ("laparoscopic cholecystectomy", "47562", "surgery"),
    ("laparoscopic appendectomy", "44970", "surgery"),
    ("right total knee arthroplasty", "27447", "surgery"),
    ("open reduction and internal fixation of the distal radius", "25607", "surgery"),
    ("inguinal hernia repair with mesh", "49505", "surgery"),
    ("carpal tunnel release", "64721", "surgery"),
    ("coronary artery bypass grafting", "33533", "surgery"),
    ("colonoscopy with biopsy", "45380", "endoscopy"),
    ("esophagogastroduodenoscopy", "43235", "endoscopy"),
    ("flexible bronchoscopy", "31622", "endoscopy"),
    ("lumbar puncture", "62270", "bedside"), ("paracentesis", "49083", "bedside"),
    ("central venous catheter placement", "36556", "bedside"),
    ("thoracentesis", "32555", "bedside"), ("joint injection of the knee", "20610", "bedside"),
]

VISIT_CPT = ["99213", "99214", "99203", "99204", "99283", "99284", "99285", "99222", "99223",
             "99238", "99243", "99244"]

IMAGING = [
    ("CHEST, TWO VIEWS", "71046", "chest"), ("CT ABDOMEN AND PELVIS WITH CONTRAST", "74177",
                                             "abdomen"),
    ("CT HEAD WITHOUT CONTRAST", "70450", "head"), ("MRI LUMBAR SPINE WITHOUT CONTRAST",
                                                    "72148", "spine"),
    ("ULTRASOUND RIGHT UPPER QUADRANT", "76705", "abdomen"),
    ("X-RAY RIGHT KNEE, THREE VIEWS", "73562", "knee"),
    ("CT ANGIOGRAPHY CHEST", "71275", "chest"), ("MAMMOGRAM SCREENING BILATERAL", "77067",
                                                 "breast"),
]

IMAGING_FINDINGS = {
    "chest": ["The lungs are clear without focal consolidation, effusion or pneumothorax.",
              "Heart size is within normal limits. The mediastinal contours are normal.",
              "There is patchy opacity in the right lower lobe, concerning for pneumonia.",
              "Mild degenerative changes of the thoracic spine are noted."],
    "abdomen": ["The liver is normal in size and attenuation without focal lesion.",
                "The gallbladder contains multiple echogenic stones without wall thickening.",
                "The appendix is dilated to 11 mm with surrounding fat stranding.",
                "No free fluid or free air is identified. The bowel is unremarkable."],
    "head": ["There is no acute intracranial hemorrhage, mass effect or midline shift.",
             "The ventricles and sulci are appropriate for age.",
             "Mild chronic small vessel ischemic changes are present."],
    "spine": ["There is disc desiccation and a broad-based disc bulge at L4-L5.",
              "Mild bilateral neural foraminal narrowing is seen at L5-S1.",
              "The conus medullaris terminates normally at the L1 level."],
    "knee": ["There is moderate medial joint space narrowing with osteophyte formation.",
             "No acute fracture or dislocation is seen. Small joint effusion is present."],
    "breast": ["The breasts are heterogeneously dense. No suspicious mass or calcification.",
               "BI-RADS category 1: negative. Routine screening is recommended."],
}

LABS = [
    ("Hemoglobin", "g/dL", (11.0, 16.5), "12.0-16.0"), ("WBC", "K/uL", (3.5, 14.0), "4.0-11.0"),
    ("Platelets", "K/uL", (120, 420), "150-400"), ("Sodium", "mmol/L", (130, 146), "135-145"),
    ("Potassium", "mmol/L", (3.2, 5.4), "3.5-5.1"), ("Creatinine", "mg/dL", (0.6, 2.1),
                                                      "0.6-1.2"),
    ("Glucose", "mg/dL", (70, 240), "70-99"), ("BUN", "mg/dL", (7, 35), "7-20"),
    ("Hemoglobin A1c", "%", (5.0, 9.5), "4.0-5.6"), ("TSH", "uIU/mL", (0.3, 6.0), "0.4-4.0"),
    ("LDL cholesterol", "mg/dL", (60, 190), "<100"), ("ALT", "U/L", (10, 90), "7-56"),
]

SPECIALTIES = ["cardiology", "gastroenterology", "orthopedic surgery", "pulmonology",
               "nephrology", "endocrinology", "neurology", "general surgery",
               "infectious disease", "rheumatology"]

SYMPTOMS = ["chest pain", "shortness of breath", "abdominal pain", "fever and chills",
            "a productive cough", "dizziness", "nausea and vomiting", "low back pain",
            "right knee pain", "headache", "fatigue", "palpitations", "leg swelling"]

DURATIONS = ["two days", "three days", "one week", "several hours", "two weeks",
             "about a month", "five days", "four days"]

FACILITY_KINDS = ["Medical Center", "Hospital", "Regional Medical Center", "Health System",
                  "Community Hospital", "Family Practice", "Clinic", "Specialty Associates",
                  "Memorial Hospital", "Health Partners"]
