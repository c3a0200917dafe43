"""The first published privacy statement, version 2026-11: the texts that were in
templates/privacy/statement_nl.html and statement_en.html when versions moved to the database.

The texts are embedded, not read from the template files: a migration is a frozen snapshot, and
a published version must never change. Read from the files, a later edit of a template would
silently give a fresh database a different "2026-11". `{{ DPO_EMAIL }}` stays a placeholder,
filled in when the statement is shown (privacy.services.statement_html).
"""

import datetime

from django.db import migrations

VERSION = "2026-11"
PUBLISHED_AT = datetime.datetime(2026, 10, 31, 23, 0, tzinfo=datetime.UTC)  # 1 Nov, Amsterdam


def create_first_version(apps, schema_editor):
    PrivacyStatement = apps.get_model("privacy", "PrivacyStatement")
    PrivacyStatement.objects.get_or_create(
        version=VERSION,
        defaults={
            "text_nl": TEXT_NL,
            "text_en": TEXT_EN,
            "changes_nl": "",
            "changes_en": "",
            "created_at": PUBLISHED_AT,
            "published_at": PUBLISHED_AT,
        },
    )


def remove_first_version(apps, schema_editor):
    apps.get_model("privacy", "PrivacyStatement").objects.filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_privacy_centre"),
    ]

    operations = [
        migrations.RunPython(create_first_version, remove_first_version),
    ]


TEXT_NL = """<div class="privacy-statement" lang="nl">
  <h2 id="s1">1. Uw Informatie en definities</h2>
  <dl>
    <dt>Aanmelding</dt>
    <dd>De handeling waarbij een Gebruiker actief en bewust een Account aanmaakt;</dd>

    <dt>Account</dt>
    <dd>Een registratie op de Website, waardoor Gebruiker in staat gesteld worden om in contact met Profielen te komen.</dd>

    <dt>AVG</dt>
    <dd>De Algemene Verordening Gegevensbescherming, inclusief de uitvoeringswet van deze verordening.</dd>

    <dt>Gebruiker</dt>
    <dd>Een natuurlijk persoon die zich aanmeldt op de Website.</dd>

    <dt>Jupiter Media B.V.</dt>
    <dd>de besloten vennootschap met beperkte aansprakelijkheid, geregistreerd in het handelsregister onder dossiernummer 69977011 en met haar hoofdvestiging, Tingietersweg 14-16, 2031 ES Haarlem, hierna te beschouwen als Verantwoordelijke voor persoonlijke gegevens, evenals exploitant, eigenaar en beheerder van de website, ook hieronder aangeduid als &quot;Jupiter Media B.V.&quot;;</dd>

    <dt>Member-database</dt>
    <dd>De database, waarin de gegevens van alle members opgeslagen wordt. Een member heeft een persoonlijk account en logt in met een unieke combinatie van Account naam en wachtwoord.</dd>

    <dt>Persoonsgegevens</dt>
    <dd>Gegeven betreffende een geïdentificeerde of identificeerbare natuurlijke persoon, zoals bedoeld in de AVG;</dd>

    <dt>Privacy Verklaring</dt>
    <dd>Deze mededeling aan de Gebruiker inzake de verwerking van de hem betreffende Persoonsgegevens, onder meer inhoudende welke Persoonsgegevens van hem worden verwerkt, voor welk doeleinde deze informatie verwerkt wordt, wat er mee gebeurt en met wie deze wordt gedeeld;</dd>

    <dt>Profiel</dt>
    <dd>Een door een Gebruiker op de Website geplaatste omschrijving van zichzelf, waaronder zijn persoonlijke gegevens en profielfoto, alsmede de chathistorie;</dd>

    <dt>Website</dt>
    <dd>Een medium voor het tonen van informatie via het internet;</dd>
  </dl>
  <p>De Website slaat alle informatie die u verstrekt via de website op en verwerkt deze. Deze informatie omvat uw account, uw berichten, afbeeldingen en andere door u gegenereerde inhoud, uw locatiegegevens, uw betalingsgegevens en automatisch gegenereerde informatie. Hieronder zal de grondslag en wijze waarop verder uitgewerkt worden.</p>

  <h2 id="s2">2. Uw account</h2>
  <p>Als u de Member-database wilt gebruiken, zult u een account moeten aanmaken. Wanneer u een account aanmaakt, wordt u gevraagd om bepaalde informatie over uzelf in te voeren (gebruikersnaam en geslacht).</p>
  <p>U wordt gevraagd om een geldig e-mailadres en wachtwoord op te geven. In uw account kunt u vrij informatie aan uw account toevoegen, zoals uw leeftijd, geboortedatum, woonplaats en voorkeuren. De Website vraagt u om deze informatie om haar service het best op u af te stemmen en om u in contact te brengen met profielen die aansluiten op uw voorkeuren. Voor zover u dergelijke persoonsgegevens aan de Website verstrekt, machtigt u ons uitdrukkelijk om deze specifieke persoonsgegevens te verwerken.</p>
  <p>De informatie die u deelt, kan worden ontvangen door de volgende categorieën ontvangers:</p>
  <ul>
    <li>De Verantwoordelijke voor de gegevens: <strong>Jupiter Media B.V.</strong>, de besloten vennootschap met beperkte aansprakelijkheid, geregistreerd in het handelsregister onder dossiernummer 69977011 en met haar hoofdvestiging, Tingietersweg 14-16, 2031 ES Haarlem, www.jupitermedia.nl, info@jupitermedia.nl, tel. +31-23-7519818.</li>
    <li>De ontwikkelaars en beheerders van dit platform</li>
    <li>De entiteiten waar personen werkzaam zijn die als verwerkingsverantwoordelijke optreden, sommige daarvan komen uit landen die mogelijk geen passend beschermingsniveau voor uw persoonlijke gegevens bieden in vergelijking met de gegevens in uw land. We hebben echter bindende overeenkomsten gesloten, en hanteren gedragsregels, welke wij opleggen aan deze partijen, zodat we een vergelijkbaar niveau van gegevensbescherming kunnen naleven.</li>
    <li>Moderators en andere medewerkers die controleren op ongepaste inhoud</li>
  </ul>

  <h2 id="s3">3. Uw e-mailadres</h2>
  <p>Uw e-mailadres wordt gebruikt om uw account te bevestigen en deze te activeren, alsmede om contact met u op te nemen. U kunt zelf een gebruikersnaam invullen, zolang deze nog niet door een andere gebruiker is gemaakt.</p>
  <p>We kunnen tevens uw e-mailadres gebruiken om u verschillende meldingen, relevante suggesties en / of promotionele e-mails over de Website te sturen. De optie om zich uit te schrijven wordt hierbij aangeboden.</p>

  <h2 id="s4">4. Gebruik voor derden</h2>
  <p>Als u persoonsgegevens verstrekt aan deze Website, zullen deze persoonlijke gegevens niet worden gedeeld met derden, behalve en voor zover dit duidelijk blijkt uit deze Privacyverklaring.</p>
  <p>We kunnen uw gegevens aan derden verstrekken voor zover u dit uitdrukkelijk hiervoor toestemming heeft gegeven, alsmede indien dit is vereist voor wat betreft het gebruik van de Website en omvat ook gegevens die door de website (automatisch) verzameld zijn, zoals uw IP- of MAC-adres, het type browser en de software en hardware die u gebruikt. We verwijzen naar het onderdeel Welke informatie wordt automatisch gegenereerd.</p>
  <p>Deze gegevens worden gedeeld met Google Analytics en 24metrics, twee externe dienstverleners die zorgen dat ons product naar behoren functioneert.</p>
  <p>Tot slot kunnen wij uw persoonlijke gegevens aan derden verstrekken indien wij daartoe op basis van wetten en / of voorschriften verplicht is, wij verplicht zijn dit te doen als gevolg van een rechtszaak en / of indien wij van oordeel zijn dat dit noodzakelijk om onze rechten te beschermen.</p>

  <h2 id="s5">5. Uw betalingsgegevens</h2>
  <p>Als u volledig gebruik wilt maken van de Member-database, zult u aankopen doen. Voor deze aankopen hebben wij uw telefoonnummer of betalingsgegevens nodig, zoals iDeal, Mistercash of Creditcard. Deze gegevens worden alleen gebruikt om de betaling uit te voeren. Wanneer u via een bankoverschrijving betaalt, wordt u doorgestuurd naar de website van uw bank. Na betaling wordt u teruggeleid naar de Website.</p>

  <h2 id="s6">6. Automatisch gegenereerde informatie</h2>
  <p>Om de Website optimaal te laten werken (bijvoorbeeld om pagina's correct weer te geven en om de Website te beveiligen), verzamelen wij bepaalde informatie. Deze gegevens worden automatisch gegenereerd tijdens uw gebruik van de Website. Deze informatie bestaat uit:</p>
  <ul>
    <li>het type apparaat dat u gebruikt;</li>
    <li>het IP-adres van uw apparaat;</li>
    <li>het besturingssysteem dat u gebruikt;</li>
    <li>de browser software die u gebruikt;</li>
    <li>de pagina's die u bezoekt;</li>
    <li>de internet service provider die u gebruikt</li>
  </ul>

  <h2 id="s7">7. Uw rechten als gebruiker van deze website</h2>
  <p>U hebt het recht om de toestemming op elk moment in te trekken, indien van toepassing. Op de Website vindt u een gedeelte waar u het aantal te ontvangen berichten kunt beperken, het ontvangen van berichten kunt stoppen of uw Account kunt sluiten. Eenmaal gesloten, wissen we uw gegevens binnen 60 maanden. In het geval dat u wenst dat uw gegevens onmiddellijk worden gewist, zullen wij uw verzoek behandelen. U heeft verder het recht om inzage van en rectificatie van de gegevens of beperking van een bepaalde verwerking, alsmede het recht tegen een bepaalde verwerking bezwaar te maken. Tenslotte heeft u het recht om uw persoonlijke gegevens over te dragen naar een ander platform.</p>
  <p>Inzage, rectificatie en het overdragen van uw profiel kan in principe door uw eigen profiel te benaderen, maar mocht die niet mogelijk zijn dan kunt u contact opnemen met de helpdesk.</p>
  <p>Op de Website kunt u vragen stellen of mededelingen doen met betrekking tot het gebruik van de Website. Een medewerker neemt vervolgens contact met u op om uw vraag te beantwoorden en / of uw bericht te verwerken. Daartoe vragen wij u om de volgende informatie te verstrekken:</p>
  <ul>
    <li>e-mailadres;</li>
    <li>onderwerp van uw bericht;</li>
    <li>een beschrijving van uw vraag / bericht;</li>
    <li>bijlagen (optioneel)</li>
  </ul>
  <p>Als u een klacht heeft over de manier waarop wij uw verzoek behandelen, kunt u hierover een klacht bij de Autoriteit Persoonsgegevens (<a href="https://autoriteitpersoonsgegevens.nl">autoriteitpersoonsgegevens.nl</a>) indienen.</p>

  <h2 id="s8">8. Grondslag gegevensverwerking</h2>
  <p>Jupiter Media B.V. slaat alle Performer content en Berichten op die u in de Member database publiceert. De Performer content is slechts zichtbaar voor de andere betalende Gebruikers.</p>
  <p>Door persoonsgegevens in te vullen op onze website, maakt u ze openbaar en gaat u akkoord met de algemene voorwaarden, en geeft u uitdrukkelijke toestemming aan Jupiter Media B.V. om deze persoonsgegevens te verwerken. Met name uw ras, religie, seksuele leven, politieke opvatting, gezondheid, lidmaatschap van een vakvereniging en strafrechtelijk gedrag worden beschouwd als gevoelige informatie, waarvoor u uitdrukkelijk toestemming verleent.</p>
  <p>Deze persoonsgegevens zijn of vrijwillig aangeboden door u om uw ervaring op de Website te optimaliseren, of noodzakelijk voor ons om u, in overeenstemming met onze algemene voorwaarden, u onze diensten aan te bieden.</p>
  <p>Hieronder wordt de categorieën persoonsgegevens, de doeleinden en de grondslagen nader uiteengezet.</p>

  <h2 id="s9">9. Categorieën persoonsgegevens</h2>
  <p>Er zijn drie categorieën persoonsgegevens, welke ieder hun eigen grondslag en doeleinden voor verwerking hebben, namelijk noodzakelijke persoonsgegevens, vrijwillige persoonsgegevens en bijzondere persoonsgegevens:</p>

  <h3>Noodzakelijke persoonsgegevens</h3>
  <p>Deze gegevens zijn noodzakelijk voor Jupiter Media B.V. om haar diensten aan te kunnen bieden. De grondslag voor Jupiter Media B.V. om deze te verwerken is zowel de Algemene Voorwaarden als Gerechtvaardigd belang.</p>
  <p>Het betreft de volgende gegevens:</p>
  <ul>
    <li>E-mailadres</li>
    <li>IP adres</li>
    <li>Account naam</li>
    <li>Wachtwoord</li>
    <li>Betalingsgegevens</li>
    <li>Noodzakelijke cookies</li>
  </ul>
  <p>Wij zullen deze informatie over u gebruiken voor de volgende doeleinden:</p>
  <ul>
    <li>Uw gebruik van de Website mogelijk te maken, zoals het aanmaken van een Account, communiceren met andere gebruikers en het sturen van berichten</li>
    <li>Betalingen verwerken</li>
    <li>Verzenden van berichten</li>
    <li>U informatie te sturen over de eigen diensten van onze websites en om te reageren op uw vragen, feedback en meldingen;</li>
  </ul>

  <h3>Vrijwillige persoonsgegevens</h3>
  <p>Deze gegevens zijn niet strikt noodzakelijk voor Jupiter Media B.V. om haar diensten aan te kunnen bieden, maar de mogelijkheid om deze informatie aan te delen is met het oog op de kwaliteit van de dienstverlening. De grondslag voor Jupiter Media B.V. om deze te verwerken is zowel de Algemene Voorwaarden als Gerechtvaardigd belang.</p>
  <p>Het betreft de volgende gegevens:</p>
  <ul>
    <li>Uw account informatie</li>
    <li>Uw foto's</li>
    <li>Uw berichten</li>
    <li>Uw voorkeuren</li>
    <li>Niet strikt noodzakelijke cookies</li>
  </ul>
  <p>Wij zullen deze informatie over u gebruiken voor de volgende doeleinden:</p>
  <ul>
    <li>Om de levering van diensten te optimaliseren, aangeboden door deze website. Op basis van de voorkeuren die u hebt opgegeven, doen wij suggesties op basis van vooraf ingestelde filters. Op deze manier kunt u contacten sneller en gemakkelijker vinden.</li>
    <li>Het opstellen van gebruikersprofielen.</li>
    <li>om de Website aan uw voorkeuren aan te passen en / of om gepersonaliseerde aanbiedingen te tonen;</li>
    <li>om geanonimiseerde statistische gegevens op te stellen en deze gegevens te gebruiken voor onderzoekdoeleinden;</li>
    <li>om de Website te beveiligen, aan te passen en te verbeteren;</li>
    <li>om informatie over u aan derden te verstrekken als u hier toestemming voor heeft gegeven of op basis van wetgeving en / of regelgeving.</li>
  </ul>

  <h3>Bijzondere persoonsgegevens</h3>
  <p>Deze gegevens zijn niet strikt noodzakelijk voor Jupiter Media B.V. om haar diensten aan te kunnen bieden, en betreffen met name uw ras, religie, seksuele leven, politieke opvatting, gezondheid, lidmaatschap van een vakvereniging en strafrechtelijk gedrag. Waarvoor u bij het invullen van deze uitdrukkelijk toestemming aan Jupiter Media B.V. verleent om deze te verwerken.</p>
  <p>De grondslag voor Jupiter Media B.V. om deze te verwerken is uw uitdrukkelijke toestemming, de Algemene Voorwaarden en Gerechtvaardigd belang.</p>
  <p>Het betreft de volgende gegevens:</p>
  <ul>
    <li>Uw seksuele voorkeuren</li>
    <li>Uw foto's, waar deze bijzondere persoonsgegevens bevatten</li>
    <li>Uw berichten, waar deze bijzondere persoonsgegevens bevatten</li>
    <li>Uw hobby's, waar deze bijzondere persoonsgegevens bevatten</li>
  </ul>
  <p>Wij zullen deze informatie over u gebruiken voor de volgende doeleinden:</p>
  <ul>
    <li>Om de levering van diensten te optimaliseren, aangeboden door deze website. Op basis van de voorkeuren die u hebt opgegeven, doen wij suggesties op basis van vooraf ingestelde filters. Op deze manier kunt u contacten sneller en gemakkelijker vinden.</li>
    <li>Het opstellen van gebruikersprofielen.</li>
    <li>om de Website aan uw voorkeuren aan te passen en / of om gepersonaliseerde aanbiedingen te tonen;</li>
  </ul>
  <p>Daarnaast hebben wij de volgende maatregelen genomen om uw gerechtvaardigde belangen te beschermen:</p>
  <ul>
    <li>U een opt-out aanbieden, mocht u uw gegevens niet meer willen delen</li>
    <li>Uw gegevens beschermen achter encryptie</li>
    <li>Uw wachtwoord wordt onleesbaar opgeslagen</li>
  </ul>

  <h2 id="s10">10. Veiligheid</h2>
  <p>Om ongeoorloofde toegang te voorkomen, hebben we passende beveiligingsmaatregelen getroffen teneinde de informatie die u heeft verstrekt te beschermen en te beveiligen. Tevens is er een verantwoordelijke en functionaris voor gegevensbescherming aangesteld, welke via <a href="mailto:{{ DPO_EMAIL }}">{{ DPO_EMAIL }}</a> benaderd kan worden.</p>

  <h2 id="s11">11. Geilesexsite</h2>
  <p>Geilesexsite is partner van VspCash en gebruikt de faciliteiten van VspCash. Daardoor zijn de verklaren en privacy statement geldig voor mijn organisatie.</p>
</div>
"""

TEXT_EN = """<div class="privacy-statement" lang="en">
  <h2 id="s1">1. Your information and definitions</h2>
  <dl>
    <dt>Registration</dt>
    <dd>The act by which a User actively and knowingly creates an Account;</dd>

    <dt>Account</dt>
    <dd>A registration on the Website that enables a User to get in contact with Profiles.</dd>

    <dt>GDPR (AVG)</dt>
    <dd>The General Data Protection Regulation (in Dutch: Algemene Verordening Gegevensbescherming, AVG), including the act implementing this regulation.</dd>

    <dt>User</dt>
    <dd>A natural person who registers on the Website.</dd>

    <dt>Jupiter Media B.V.</dt>
    <dd>the private limited liability company (besloten vennootschap met beperkte aansprakelijkheid), registered in the trade register under file number 69977011 and with its principal place of business at Tingietersweg 14-16, 2031 ES Haarlem, hereinafter regarded as the controller of personal data, as well as the operator, owner and manager of the website, also referred to below as &quot;Jupiter Media B.V.&quot;;</dd>

    <dt>Member database</dt>
    <dd>The database in which the data of all members is stored. A member has a personal account and logs in with a unique combination of Account name and password.</dd>

    <dt>Personal Data</dt>
    <dd>Any information relating to an identified or identifiable natural person, as referred to in the GDPR (AVG);</dd>

    <dt>Privacy Statement</dt>
    <dd>This notice to the User about the processing of the Personal Data relating to him or her, including which of his or her Personal Data are processed, for what purpose this information is processed, what happens to it and with whom it is shared;</dd>

    <dt>Profile</dt>
    <dd>A description of themselves placed on the Website by a User, including their personal data and profile photo, as well as the chat history;</dd>

    <dt>Website</dt>
    <dd>A medium for displaying information via the internet;</dd>
  </dl>
  <p>The Website stores and processes all information that you provide via the website. This information includes your account, your messages, images and other content you generate, your location data, your payment data and automatically generated information. The legal basis and the manner in which this happens are explained in more detail below.</p>

  <h2 id="s2">2. Your account</h2>
  <p>If you want to use the Member database, you will need to create an account. When you create an account, you are asked to enter certain information about yourself (username and gender).</p>
  <p>You are asked to provide a valid e-mail address and password. You are free to add information to your account, such as your age, date of birth, place of residence and preferences. The Website asks you for this information in order to tailor its service to you as well as possible and to put you in contact with profiles that match your preferences. Insofar as you provide such personal data to the Website, you expressly authorise us to process this specific personal data.</p>
  <p>The information you share may be received by the following categories of recipients:</p>
  <ul>
    <li>The controller of the data: <strong>Jupiter Media B.V.</strong>, the private limited liability company, registered in the trade register under file number 69977011 and with its principal place of business at Tingietersweg 14-16, 2031 ES Haarlem, www.jupitermedia.nl, info@jupitermedia.nl, tel. +31-23-7519818.</li>
    <li>The developers and administrators of this platform</li>
    <li>The entities employing persons who act as controllers, some of which are located in countries that may not offer an adequate level of protection for your personal data compared with the protection in your country. However, we have concluded binding agreements and apply codes of conduct, which we impose on these parties, so that we can maintain a comparable level of data protection.</li>
    <li>Moderators and other staff who check for inappropriate content</li>
  </ul>

  <h2 id="s3">3. Your e-mail address</h2>
  <p>Your e-mail address is used to confirm and activate your account, and to contact you. You can choose your own username, as long as it has not already been taken by another user.</p>
  <p>We may also use your e-mail address to send you various notifications, relevant suggestions and/or promotional e-mails about the Website. An option to unsubscribe is offered with these e-mails.</p>

  <h2 id="s4">4. Use for third parties</h2>
  <p>If you provide personal data to this Website, this personal data will not be shared with third parties, except where and insofar as this is clearly stated in this Privacy Statement.</p>
  <p>We may provide your data to third parties insofar as you have expressly given your consent for this, and where this is required for the use of the Website; this also includes data collected (automatically) by the website, such as your IP or MAC address, the type of browser and the software and hardware you use. Please refer to the section on what information is generated automatically.</p>
  <p>This data is shared with Google Analytics and 24metrics, two external service providers that make sure our product works properly.</p>
  <p>Finally, we may provide your personal data to third parties if we are obliged to do so by laws and/or regulations, if we are obliged to do so as a result of legal proceedings, and/or if we consider this necessary to protect our rights.</p>

  <h2 id="s5">5. Your payment details</h2>
  <p>If you want to make full use of the Member database, you will make purchases. For these purchases we need your telephone number or payment details, such as iDeal, Mistercash or credit card. This data is only used to carry out the payment. When you pay by bank transfer, you are redirected to your bank's website. After payment you are returned to the Website.</p>

  <h2 id="s6">6. Automatically generated information</h2>
  <p>To make the Website work optimally (for example to display pages correctly and to secure the Website), we collect certain information. This data is generated automatically while you use the Website. This information consists of:</p>
  <ul>
    <li>the type of device you use;</li>
    <li>the IP address of your device;</li>
    <li>the operating system you use;</li>
    <li>the browser software you use;</li>
    <li>the pages you visit;</li>
    <li>the internet service provider you use</li>
  </ul>

  <h2 id="s7">7. Your rights as a user of this website</h2>
  <p>You have the right to withdraw your consent at any time, where applicable. On the Website you will find a section where you can limit the number of messages you receive, stop receiving messages or close your Account. Once your Account is closed, we erase your data within 60 months. If you want your data to be erased immediately, we will deal with your request. You also have the right of access to and rectification of your data or restriction of certain processing, as well as the right to object to certain processing. Finally, you have the right to transfer your personal data to another platform.</p>
  <p>Access, rectification and transfer of your profile can in principle be done through your own profile, but if that is not possible you can contact the helpdesk.</p>
  <p>On the Website you can ask questions or send notifications about the use of the Website. A staff member will then contact you to answer your question and/or process your message. For this purpose we ask you to provide the following information:</p>
  <ul>
    <li>e-mail address;</li>
    <li>subject of your message;</li>
    <li>a description of your question/message;</li>
    <li>attachments (optional)</li>
  </ul>
  <p>If you have a complaint about the way we handle your request, you can file a complaint with the Dutch Data Protection Authority (Autoriteit Persoonsgegevens, <a href="https://autoriteitpersoonsgegevens.nl">autoriteitpersoonsgegevens.nl</a>).</p>

  <h2 id="s8">8. Legal basis for data processing</h2>
  <p>Jupiter Media B.V. stores all Performer content and Messages that you publish in the Member database. The Performer content is only visible to the other paying Users.</p>
  <p>By entering personal data on our website, you make it public, you agree to the terms and conditions, and you give Jupiter Media B.V. your explicit consent to process this personal data. In particular, your race, religion, sex life, political opinions, health, trade union membership and criminal conduct are considered sensitive information, for which you give your explicit consent.</p>
  <p>This personal data is either provided voluntarily by you to optimise your experience on the Website, or necessary for us to offer you our services in accordance with our terms and conditions.</p>
  <p>The categories of personal data, the purposes and the legal bases are explained in more detail below.</p>

  <h2 id="s9">9. Categories of personal data</h2>
  <p>There are three categories of personal data, each with its own legal basis and purposes for processing, namely necessary personal data, voluntary personal data and special categories of personal data:</p>

  <h3>Necessary personal data</h3>
  <p>This data is necessary for Jupiter Media B.V. to be able to offer its services. The legal basis on which Jupiter Media B.V. processes this data is both the Terms and Conditions and legitimate interest.</p>
  <p>This concerns the following data:</p>
  <ul>
    <li>E-mail address</li>
    <li>IP address</li>
    <li>Account name</li>
    <li>Password</li>
    <li>Payment details</li>
    <li>Necessary cookies</li>
  </ul>
  <p>We will use this information about you for the following purposes:</p>
  <ul>
    <li>To enable your use of the Website, such as creating an Account, communicating with other users and sending messages</li>
    <li>Processing payments</li>
    <li>Sending messages</li>
    <li>Sending you information about our websites' own services and responding to your questions, feedback and reports;</li>
  </ul>

  <h3>Voluntary personal data</h3>
  <p>This data is not strictly necessary for Jupiter Media B.V. to be able to offer its services, but the option to share this information is offered with a view to the quality of the service. The legal basis on which Jupiter Media B.V. processes this data is both the Terms and Conditions and legitimate interest.</p>
  <p>This concerns the following data:</p>
  <ul>
    <li>Your account information</li>
    <li>Your photos</li>
    <li>Your messages</li>
    <li>Your preferences</li>
    <li>Cookies that are not strictly necessary</li>
  </ul>
  <p>We will use this information about you for the following purposes:</p>
  <ul>
    <li>To optimise the delivery of the services offered by this website. Based on the preferences you have specified, we make suggestions using preset filters. This way you can find contacts faster and more easily.</li>
    <li>Creating user profiles.</li>
    <li>to adapt the Website to your preferences and/or to show personalised offers;</li>
    <li>to compile anonymised statistical data and to use this data for research purposes;</li>
    <li>to secure, adapt and improve the Website;</li>
    <li>to provide information about you to third parties if you have given your consent for this, or on the basis of laws and/or regulations.</li>
  </ul>

  <h3>Special categories of personal data</h3>
  <p>This data is not strictly necessary for Jupiter Media B.V. to be able to offer its services, and concerns in particular your race, religion, sex life, political opinions, health, trade union membership and criminal conduct. By entering this data, you give Jupiter Media B.V. your explicit consent to process it.</p>
  <p>The legal basis on which Jupiter Media B.V. processes this data is your explicit consent, the Terms and Conditions and legitimate interest.</p>
  <p>This concerns the following data:</p>
  <ul>
    <li>Your sexual preferences</li>
    <li>Your photos, where they contain special categories of personal data</li>
    <li>Your messages, where they contain special categories of personal data</li>
    <li>Your hobbies, where they contain special categories of personal data</li>
  </ul>
  <p>We will use this information about you for the following purposes:</p>
  <ul>
    <li>To optimise the delivery of the services offered by this website. Based on the preferences you have specified, we make suggestions using preset filters. This way you can find contacts faster and more easily.</li>
    <li>Creating user profiles.</li>
    <li>to adapt the Website to your preferences and/or to show personalised offers;</li>
  </ul>
  <p>In addition, we have taken the following measures to protect your legitimate interests:</p>
  <ul>
    <li>Offering you an opt-out, should you no longer wish to share your data</li>
    <li>Protecting your data with encryption</li>
    <li>Storing your password in unreadable form</li>
  </ul>

  <h2 id="s10">10. Security</h2>
  <p>To prevent unauthorised access, we have taken appropriate security measures to protect and secure the information you have provided. We have also appointed a responsible person and a data protection officer, who can be contacted at <a href="mailto:{{ DPO_EMAIL }}">{{ DPO_EMAIL }}</a>.</p>

  <h2 id="s11">11. Geilesexsite</h2>
  <p>Geilesexsite is a partner of VspCash and uses the facilities of VspCash. As a result, the statements and privacy statement are valid for my organisation.</p>
</div>
"""
